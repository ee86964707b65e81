"""A circuit breaker shared by every process through Redis, so one outage is noticed once, not per worker.

closed     calls go through; consecutive failures are counted (a failure older than `reset_after_seconds`
           since the previous one starts the count again).
open       `failure_threshold` failures (or one `record_failure(open_for=...)`) open the circuit: `allow()` is
           False until the open period ends.
half-open  after the open period one caller (one probe across all processes) is allowed through; its
           success closes the circuit, its failure opens it again. A probe that never reports back frees
           its slot after `reset_after_seconds`.

The breaker guards a provider shared by all sellers (one API key), so its keys carry the breaker's name and
no tenant. Each transition is one Lua script, so concurrent callers cannot interleave a half-done one.
"""

from __future__ import annotations

from typing import Literal

import redis

from core.streams import keys

CircuitState = Literal["closed", "open", "half_open"]

# A tripped circuit remembers that it was opened for this long, so the first call after the open period is
# treated as the half-open probe. Past it, a circuit nobody used is simply closed again.
_TRIPPED_MEMORY_MS = 24 * 3600 * 1000

# KEYS: open, tripped, probe. ARGV: probe_ms. Returns 1 to let the call through.
_ALLOW = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 1 end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
"""

# KEYS: failures, open, tripped, probe. ARGV: threshold, window_ms, open_ms, force_open, tripped_ms.
# Returns 1 when the circuit is open afterwards.
_RECORD_FAILURE = """
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local half_open_or_open = redis.call('EXISTS', KEYS[3]) == 1
if ARGV[4] == '1' or half_open_or_open or failures >= tonumber(ARGV[1]) then
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
    redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  end
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
  redis.call('DEL', KEYS[1], KEYS[4])
  return 1
end
return 0
"""

# KEYS: failures, open, tripped, probe. A late success from a call started before the circuit opened does
# not close an open circuit; only a success while closed or half-open does.
_RECORD_SUCCESS = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[3], KEYS[4])
end
return 0
"""


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        failure_threshold: int,
        reset_after_seconds: float,
        redis_client: redis.Redis,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_after_seconds <= 0:
            raise ValueError("reset_after_seconds must be positive")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after_seconds = reset_after_seconds
        self._redis = redis_client
        prefix = keys.circuit(name)
        self._failures_key = f"{prefix}:failures"
        self._open_key = f"{prefix}:open"
        self._tripped_key = f"{prefix}:tripped"
        self._probe_key = f"{prefix}:probe"
        self._allow = redis_client.register_script(_ALLOW)
        self._record_failure = redis_client.register_script(_RECORD_FAILURE)
        self._record_success = redis_client.register_script(_RECORD_SUCCESS)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every Redis key this breaker may write (for operators and test clean-up)."""
        return (self._failures_key, self._open_key, self._tripped_key, self._probe_key)

    def allow(self) -> bool:
        """True when a call may go out now. In half-open state only the one probe gets True."""
        keys = [self._open_key, self._tripped_key, self._probe_key]
        return bool(self._allow(keys=keys, args=[self._ms(self.reset_after_seconds)]))

    def record_success(self) -> None:
        self._record_success(keys=list(self.keys))

    def record_failure(self, open_for: float | None = None) -> None:
        """Count a failure. `open_for` opens the circuit at once for that many seconds (e.g. quota exhausted);
        an open circuit is never shortened by it."""
        open_seconds = self.reset_after_seconds if open_for is None else max(open_for, self.reset_after_seconds)
        self._record_failure(
            keys=list(self.keys),
            args=[
                self.failure_threshold,
                self._ms(self.reset_after_seconds),
                self._ms(open_seconds),
                "1" if open_for is not None else "0",
                max(_TRIPPED_MEMORY_MS, self._ms(open_seconds) * 2),
            ],
        )

    def state(self) -> CircuitState:
        """The state as seen now, without taking the half-open probe slot."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.exists(self._open_key)
        pipe.exists(self._tripped_key)
        is_open, tripped = pipe.execute()
        if is_open:
            return "open"
        return "half_open" if tripped else "closed"

    @staticmethod
    def _ms(seconds: float) -> int:
        return max(1, round(seconds * 1000))

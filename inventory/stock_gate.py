"""Redis stock gate: a per-seller cache of each variant's available units that answers "sold out" fast.

The gate sheds load and never grants: PostgreSQL's guarded UPDATE decides every reservation. The gate is a
Redis hash per seller, `<prefix>:{<schema>}:gate` (the hash tag keeps a seller on one Cluster slot), with a
field per variant id and a `__built` field written only by `rebuild`. Without `__built` the gate is
unknown (Redis lost data, or it was never built) and every answer is None: the caller asks PostgreSQL and
rebuilds. Corrections after a reservation change run in `transaction.on_commit`, never before the commit;
an over-count is harmless (PostgreSQL refuses), an under-count only delays a claim until the waitlist sweep.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import redis
from django.db.models import F
from django_tenants.utils import schema_context

from inventory.models import Variant

DEFAULT_PREFIX = "lss"
BUILT_FIELD = "__built"

# KEYS[1] gate hash; ARGV[1] variant id, ARGV[2] units wanted. -2: gate not built, -1: variant unknown.
_TAKE = """
if redis.call('HEXISTS', KEYS[1], '__built') == 0 then return -2 end
local available = redis.call('HGET', KEYS[1], ARGV[1])
if not available then return -1 end
available = tonumber(available)
if available <= 0 then return 0 end
local granted = math.min(available, tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[1], ARGV[1], -granted)
return granted
"""

# A missing field stays missing: creating it from a delta would invent a count.
_GIVE_BACK = """
if redis.call('HEXISTS', KEYS[1], '__built') == 0 then return -2 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
"""

# Setting one field of an unbuilt gate would make a partial gate look whole, so it is refused.
_SET = """
if redis.call('HEXISTS', KEYS[1], '__built') == 0 then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], math.max(0, tonumber(ARGV[2])))
return 1
"""

# ARGV[1] build stamp, then variant id / available pairs. Replaces the whole gate in one step.
_REBUILD = """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '__built', ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], math.max(0, tonumber(ARGV[i + 1])))
end
return (#ARGV - 1) / 2
"""


def gate_key(*, schema_name: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}:{{{schema_name}}}:gate"


class StockGate:
    """One seller's gate. Scripts are registered once per instance and run with EVALSHA."""

    def __init__(self, redis_client: redis.Redis, schema_name: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.redis = redis_client
        self.schema_name = schema_name
        self.prefix = prefix
        self.key = gate_key(schema_name=schema_name, prefix=prefix)
        self._take = redis_client.register_script(_TAKE)
        self._give_back = redis_client.register_script(_GIVE_BACK)
        self._set = redis_client.register_script(_SET)
        self._rebuild = redis_client.register_script(_REBUILD)

    def take(self, variant_id: int, qty: int) -> int | None:
        """Atomically take up to `qty` units: the number granted (0 = sold out), or None when the gate does
        not know the variant or is not built — then PostgreSQL must be asked."""
        granted = int(self._take(keys=[self.key], args=[variant_id, qty]))
        return granted if granted >= 0 else None

    def give_back(self, variant_id: int, qty: int) -> None:
        """Return units taken by `take` whose reservation did not happen (e.g. the transaction rolled back)."""
        self._give_back(keys=[self.key], args=[variant_id, qty])

    def set_available(self, variant_id: int, available: int) -> bool:
        """Overwrite one variant's count with PostgreSQL's value; False (and no write) if the gate is not built."""
        return int(self._set(keys=[self.key], args=[variant_id, available])) == 1

    def rebuild(self, variants: Iterable[tuple[int, int]]) -> int:
        """Atomically replace the whole gate with (variant id, available) pairs; returns how many were set."""
        args: list[int | str] = [str(time.time())]
        for variant_id, available in variants:
            args.extend((variant_id, available))
        return int(self._rebuild(keys=[self.key], args=args))

    def is_built(self) -> bool:
        return bool(self.redis.hexists(self.key, BUILT_FIELD))

    def available(self, variant_id: int) -> int | None:
        """The gate's count for a variant, None if unknown (for dashboards and tests, not for decisions)."""
        value = self.redis.hget(self.key, str(variant_id))
        return None if value is None else int(value)

    def delete(self) -> None:
        """Forget the gate (used when a seller is removed, and by tests)."""
        self.redis.delete(self.key)


def stock_gate_rebuild(*, schema_name: str, redis_client: redis.Redis, prefix: str = DEFAULT_PREFIX) -> int:
    """Rebuild a seller's gate from PostgreSQL's committed state; call at start-up and whenever the gate is
    found not built. Returns the number of variants written."""
    with schema_context(schema_name):
        rows = list(
            Variant.objects.annotate(free=F("stock_on_hand") - F("reserved")).order_by("id").values_list("id", "free")
        )
    return StockGate(redis_client, schema_name, prefix=prefix).rebuild(rows)

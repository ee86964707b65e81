"""Production processes started without their secrets refuse at once, naming everything missing in one message;
production sends buyer replies through Meta unless told explicitly not to."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, free_port

REQUIRED = (
    "DJANGO_SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_HOSTS",
    "SELLER_HOST_SUFFIXES",
)
COMPLETE = {
    "DJANGO_SECRET_KEY": "a-production-secret",
    "FIELD_ENCRYPTION_KEY": "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5MzI=",
    "META_APP_SECRET": "app-secret",
    "META_VERIFY_TOKEN": "verify-token",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/livestreamsell",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PUBLIC_HOSTS": "api.shop.example",
    "SELLER_HOST_SUFFIXES": ".shop.example",
}


def production_env(**variables: str) -> dict[str, str]:
    """The machine's environment without any of our variables, with production settings and `variables`."""
    ours = (
        *REQUIRED,
        "MESSENGER_BACKEND",
        "MESSENGER_ALLOW_OUTBOX",
        "PAYMENT_PROVIDER",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
    )
    env = {name: value for name, value in os.environ.items() if name not in ours}
    return {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production", **variables}


def run_briefly(command: list[str], env: dict[str, str], *, limit: float = 5.0) -> tuple[int, str, float]:
    """Run `command`; it must end by itself within `limit` seconds (else it and its children are killed and the
    test fails). Returns the exit code, stderr and the seconds it took."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        pytest.fail(f"{' '.join(command)} was still running after {limit} s; its stderr began: {stderr[:600]!r}")
    return process.returncode, stderr, time.monotonic() - started


PRODUCTION_PROCESSES = [
    pytest.param(["make", "serve", f"PORT={free_port()}"], id="make-serve"),
    pytest.param([sys.executable, "-m", "config.serve"], id="config.serve"),
    pytest.param([sys.executable, "manage.py", "run_consumer", "claims"], id="run_consumer"),
    pytest.param([sys.executable, "manage.py", "run_sender"], id="run_sender"),
    pytest.param([sys.executable, "manage.py", "run_scheduler"], id="run_scheduler"),
    pytest.param([sys.executable, "manage.py", "run_pipeline"], id="run_pipeline"),
    pytest.param([sys.executable, "manage.py", "migrate_platform"], id="migrate_platform"),
]


@pytest.mark.parametrize("command", PRODUCTION_PROCESSES)
def test_a_production_process_without_secrets_refuses_once_naming_every_missing_variable(command: list[str]) -> None:
    returncode, stderr, seconds = run_briefly(command, production_env())

    assert returncode != 0 and seconds < 5
    assert "Traceback" not in stderr, stderr
    # make adds its own line ("make[1]: ***" when this runs inside `make test`)
    ours = [line for line in stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert len(ours) == 1, stderr
    assert ours[0].startswith("Production settings refuse to start: set ")
    assert all(name in ours[0] for name in REQUIRED), ours[0]


def test_one_missing_secret_is_named_alone() -> None:
    env = production_env(**{**COMPLETE, "META_APP_SECRET": ""})

    returncode, stderr, _ = run_briefly([sys.executable, "manage.py", "run_sender"], env)

    assert returncode == 1
    assert stderr.strip() == (
        "Production settings refuse to start: set META_APP_SECRET (each is described in .env.example)."
    )


def test_a_malformed_encryption_key_is_named_with_the_missing_variables() -> None:
    env = production_env(**{**COMPLETE, "FIELD_ENCRYPTION_KEY": "not-a-key", "REDIS_URL": ""})

    returncode, stderr, _ = run_briefly([sys.executable, "manage.py", "run_consumer", "claims"], env)

    assert returncode == 1
    assert "set REDIS_URL" in stderr and "FIELD_ENCRYPTION_KEY is not a Fernet key" in stderr
    assert len(stderr.strip().splitlines()) == 1


def backend_seen_by(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings; print(settings.MESSENGER_BACKEND)"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_sends_buyer_replies_through_the_graph_api_by_default() -> None:
    result = backend_seen_by(production_env(**COMPLETE))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "graph"


def test_production_refuses_the_outbox_backend_unless_acknowledged() -> None:
    refused = backend_seen_by(production_env(**COMPLETE, MESSENGER_BACKEND="outbox"))
    acknowledged = backend_seen_by(production_env(**COMPLETE, MESSENGER_BACKEND="outbox", MESSENGER_ALLOW_OUTBOX="1"))

    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "Production settings refuse to start: MESSENGER_BACKEND=outbox stores buyer replies without ever sending "
        "them to Meta: set MESSENGER_BACKEND=graph, or also set MESSENGER_ALLOW_OUTBOX=1 to run without sending on "
        "purpose."
    )
    assert acknowledged.returncode == 0, acknowledged.stderr
    assert acknowledged.stdout.strip() == "outbox"


def test_stripe_payments_need_the_stripe_keys_in_production() -> None:
    result = backend_seen_by(production_env(**COMPLETE, PAYMENT_PROVIDER="stripe"))

    assert result.returncode == 1
    assert "set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET" in result.stderr

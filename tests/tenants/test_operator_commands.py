"""The operator's commands, run as an operator runs them (`manage.py …` in a shell): bad input ends with one
clear sentence and exit code 1, never a traceback; a platform-admin login can be created and used."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Seller
from tests.processes import manage


def create_seller(**overrides: str | None) -> tuple[int, str]:
    suffix = uuid.uuid4().hex[:8]
    args = {
        "--schema": f"op_{suffix}",
        "--name": f"Operator test {suffix}",
        "--domain": f"op-{suffix}.localhost",
        "--owner-email": f"owner@op-{suffix}.localhost",
        "--owner-password": "a-long-enough-pass-2026",
        **overrides,
    }
    result = manage("create_seller", *[f"{name}={value}" for name, value in args.items() if value is not None])
    return result.returncode, result.stderr.strip()


@pytest.fixture
def created_sellers(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Sellers the command created (committed, schema and all) are dropped after the test. Ask for it before `db`:
    it must clean up after the test's transaction is rolled back."""
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        for seller in Seller.objects.filter(name__startswith="Operator test"):
            seller.delete(force_drop=True)
        connection.set_schema_to_public()  # type: ignore[attr-defined]


def one_sentence(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("CommandError: ") and lines[0].endswith("."), lines[0]
    return lines[0].removeprefix("CommandError: ")


@pytest.mark.parametrize("currency", ["pesos", "xyz", "MX"])
def test_create_seller_with_an_unsupported_currency_exits_1_with_one_sentence(
    created_sellers: None, db: None, currency: str
) -> None:
    returncode, stderr = create_seller(**{"--currency": currency})

    assert returncode == 1
    assert one_sentence(stderr).startswith(f"Currency {currency!r} is not supported: use one of the ISO 4217 codes")
    assert not Seller.objects.filter(name__startswith="Operator test").exists()


def test_create_seller_accepts_a_supported_currency_in_lower_case(created_sellers: None, db: None) -> None:
    returncode, stderr = create_seller(**{"--currency": "brl"})

    assert returncode == 0, stderr
    assert Seller.objects.get(name__startswith="Operator test").currency == "BRL"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("x", "This password is too short."),
        ("12345678", "This password is entirely numeric."),
        ("password", "This password is too common."),
    ],
)
def test_create_seller_refuses_a_weak_owner_password_with_one_sentence(
    created_sellers: None, db: None, password: str, reason: str
) -> None:
    returncode, stderr = create_seller(**{"--owner-password": password})

    assert returncode == 1
    sentence = one_sentence(stderr)
    assert sentence.startswith("The password for owner@op-") and reason in sentence
    assert not Seller.objects.filter(name__startswith="Operator test").exists()


def test_create_seller_with_an_unknown_language_exits_1_with_one_sentence(db: None) -> None:
    returncode, stderr = create_seller(**{"--language": "fr"})

    assert returncode == 1
    assert one_sentence(stderr) == "Language 'fr' is not supported: use one of es, en, pt."


def test_create_seller_refuses_an_owner_login_that_is_not_an_email(db: None) -> None:
    returncode, stderr = create_seller(**{"--owner-email": "ana"})

    assert returncode == 1
    assert one_sentence(stderr) == "'ana' is not an e-mail address."


@pytest.fixture
def operator_email(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[str]:
    """An address for a platform admin the command creates (committed); the login is deleted afterwards (ask for
    it before `db`, so that happens after the test's transaction)."""
    email = f"ops-{uuid.uuid4().hex[:8]}@platform.test"
    yield email
    with django_db_blocker.unblock(), schema_context("public"):  # type: ignore[attr-defined]
        get_user_model().objects.filter(username=email).delete()


def test_create_platform_admin_makes_a_login_for_the_platform_admin(operator_email: str, db: None) -> None:
    result = manage("create_platform_admin", f"--email={operator_email}", "--password=run-the-platform-2026")
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": operator_email, "password": "run-the-platform-2026"}
    )
    index = client.get("/admin/")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Platform admin {operator_email} created."
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert index.status_code == 200 and "Sellers and page bindings" in index.content.decode()
    with schema_context("public"):
        admin = get_user_model().objects.get(username=operator_email)
        assert admin.is_staff and admin.is_superuser


def test_create_platform_admin_again_sets_the_new_password(operator_email: str, db: None) -> None:
    manage("create_platform_admin", f"--email={operator_email}", "--password=first-password-2026")

    again = manage("create_platform_admin", f"--email={operator_email}", "--password=second-password-2026")

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Platform admin {operator_email} updated with the new password."
    with schema_context("public"):
        admin = get_user_model().objects.get(username=operator_email)
        assert admin.check_password("second-password-2026") and not admin.check_password("first-password-2026")


def test_create_platform_admin_refuses_a_weak_password_with_one_sentence(operator_email: str, db: None) -> None:
    result = manage("create_platform_admin", f"--email={operator_email}", "--password=abc")

    assert result.returncode == 1
    assert one_sentence(result.stderr.strip()).startswith(f"The password for {operator_email} is refused: ")
    with schema_context("public"):
        assert not get_user_model().objects.filter(username=operator_email).exists()


def test_create_platform_admin_without_a_terminal_asks_for_the_password_flag(operator_email: str, db: None) -> None:
    result = manage("create_platform_admin", f"--email={operator_email}")

    assert result.returncode == 1
    assert one_sentence(result.stderr.strip()) == (
        "Give --password, or run the command in a terminal to be asked for the password."
    )

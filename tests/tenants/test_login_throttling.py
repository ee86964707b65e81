"""Login throttling (django-axes): on every login form, 30 wrong passwords lock the account out, and the right
password then does not log in. Failures are counted per schema, as users are."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Seller

PASSWORD = "the-right-password-2026"


def make_user(schema_name: str, email: str) -> None:
    with schema_context(schema_name):
        get_user_model().objects.create_user(
            username=email, email=email, password=PASSWORD, is_staff=True, is_superuser=True
        )


def guess_30_times_then_log_in(client: Client, *, path: str, email: str) -> tuple[list[int], int, str]:
    statuses = [client.post(path, {"username": email, "password": f"wrong-{n}"}).status_code for n in range(30)]
    right = client.post(path, {"username": email, "password": PASSWORD})
    return statuses, right.status_code, right.content.decode()


@pytest.mark.parametrize(
    ("host", "path"),
    [
        pytest.param("seller-a.localhost", "/login/", id="seller-dashboard"),
        pytest.param("seller-a.localhost", "/admin/login/", id="seller-admin"),
        pytest.param("localhost", "/admin/login/", id="platform-admin"),
    ],
)
def test_30_wrong_passwords_lock_the_login_form_and_the_right_one_then_fails(
    seller_a: Seller, host: str, path: str
) -> None:
    schema_name = "public" if host == "localhost" else seller_a.schema_name
    email = f"throttled-{path.strip('/').replace('/', '-')}@{host}"
    make_user(schema_name, email)
    client = Client(HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE="es")

    statuses, right_status, page = guess_30_times_then_log_in(client, path=path, email=email)

    assert statuses[:9] == [200] * 9  # the form again, with its error
    assert set(statuses[9:]) == {429}  # the 10th failure locks
    assert right_status == 429
    assert "Demasiados intentos fallidos" in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_speaks_the_visitors_language_and_says_when_to_retry(seller_a: Seller) -> None:
    email = "throttled-pt@seller-a.localhost"
    make_user(seller_a.schema_name, email)
    client = Client(HTTP_HOST="seller-a.localhost", HTTP_ACCEPT_LANGUAGE="pt-BR")

    guess_30_times_then_log_in(client, path="/login/", email=email)
    response = client.post("/login/", {"username": email, "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Muitas tentativas de login sem sucesso" in response.content.decode()
    assert "15 minutos" in response.content.decode()


def test_a_lockout_on_one_sellers_host_leaves_the_same_email_on_another_seller_alone(
    seller_a: Seller, seller_b: Seller
) -> None:
    email = "same-person@boutiques.test"
    make_user(seller_a.schema_name, email)
    make_user(seller_b.schema_name, email)

    _, right_status_on_a, _ = guess_30_times_then_log_in(
        Client(HTTP_HOST="seller-a.localhost"), path="/login/", email=email
    )
    client_b = Client(HTTP_HOST="seller-b.localhost")
    response_on_b = client_b.post("/login/", {"username": email, "password": PASSWORD})

    assert right_status_on_a == 429
    assert response_on_b.status_code == 302
    assert "_auth_user_id" in client_b.session

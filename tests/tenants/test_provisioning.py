from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from inventory.models import Product
from livestreams.models import LiveSession
from tenants.crypto import decrypt_token
from tenants.models import Domain, PageBinding, Seller
from tenants.selectors import seller_absolute_url
from tests.conftest import subprocess_env


def provision(**overrides: str) -> None:
    args = {
        "schema": "shop_new",
        "name": "Shop New",
        "domain": "shop-new.localhost",
        "owner_email": "ana@shop.test",
        "owner_password": "s3cret-pass!",
        "facebook_page": "7001",
        "instagram_account": "17841",
        "page_token": "EAAB-token",
    }
    args.update(overrides)
    call_command("create_seller", **{k: v for k, v in args.items() if v is not None}, verbosity=0)


def test_it_creates_schema_domain_owner_and_bindings(db: None) -> None:
    provision()

    seller = Seller.objects.get(schema_name="shop_new")
    assert schema_exists("shop_new")
    assert Domain.objects.get(domain="shop-new.localhost").tenant == seller
    assert set(PageBinding.objects.filter(seller=seller).values_list("platform", "external_id")) == {
        ("facebook", "7001"),
        ("instagram", "17841"),
    }
    with schema_context("shop_new"):
        owner = get_user_model().objects.get(username="ana@shop.test")
        assert owner.check_password("s3cret-pass!") and owner.is_staff


def test_new_seller_schema_has_every_tenant_table(db: None) -> None:
    provision()

    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop_new'")
        tables = {row[0] for row in cursor.fetchall()}
    assert {
        "inventory_product",
        "inventory_variant",
        "livestreams_comment",
        "payments_reservation",
        "messenger_outboundmessage",
        "auth_user",
    } <= tables


def test_rerun_with_same_arguments_changes_nothing(db: None) -> None:
    provision()
    counts = (Seller.objects.count(), Domain.objects.count(), PageBinding.objects.count())

    provision()

    assert (Seller.objects.count(), Domain.objects.count(), PageBinding.objects.count()) == counts
    with schema_context("shop_new"):
        assert get_user_model().objects.filter(username="ana@shop.test").count() == 1


def test_page_token_is_encrypted_at_rest(db: None) -> None:
    provision()

    binding = PageBinding.objects.get(platform="facebook", external_id="7001")
    assert "EAAB-token" not in binding.access_token_encrypted
    assert decrypt_token(binding.access_token_encrypted) == "EAAB-token"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"schema": "seller_a"}, "already belongs to seller 'Boutique A'"),
        ({"domain": "seller-a.localhost"}, "Domain 'seller-a.localhost' already belongs to seller 'seller_a'"),
        ({"facebook_page": "9001"}, "facebook page '9001' is already bound to seller 'seller_a'"),
        ({"schema": "Bad-Name"}, "is not allowed"),
        ({"schema": "public"}, "is not allowed"),
    ],
)
def test_conflicting_or_invalid_request_is_refused_and_writes_nothing(
    seller_a: Seller, overrides: dict[str, str], message: str
) -> None:
    sellers_before = Seller.objects.count()

    with pytest.raises(CommandError, match=message):
        provision(**overrides)

    assert Seller.objects.count() == sellers_before
    assert not Domain.objects.filter(domain="shop-new.localhost").exists()
    assert not PageBinding.objects.filter(external_id="17841").exists()


def test_command_exits_non_zero_with_one_sentence_on_conflict(seller_a: Seller) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_seller",
            "--schema",
            "x_conflict",
            "--name",
            "X",
            "--domain",
            "seller-a.localhost",
            "--settings",
            "config.settings.test",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
    )

    assert result.returncode == 1
    assert "Domain 'seller-a.localhost' already belongs to seller 'seller_a'." in result.stderr


def test_absolute_links_use_the_primary_domain_with_configured_scheme_and_port(
    seller_a: Seller, settings: object
) -> None:
    settings.SELLER_URL_SCHEME = "https"  # type: ignore[attr-defined]
    settings.SELLER_URL_PORT = 443  # type: ignore[attr-defined]
    assert seller_absolute_url(seller=seller_a, path="/c/tok/") == "https://seller-a.localhost/c/tok/"

    settings.SELLER_URL_SCHEME = "http"  # type: ignore[attr-defined]
    settings.SELLER_URL_PORT = 8000  # type: ignore[attr-defined]
    assert seller_absolute_url(seller=seller_a, path="/c/tok/") == "http://seller-a.localhost:8000/c/tok/"


def test_cloned_schema_has_the_templates_constraint_and_index_names(db: None) -> None:
    provision()

    def names(schema: str) -> tuple[list[tuple[str, str]], list[str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rel.relname, c.conname FROM pg_constraint c JOIN pg_class rel ON rel.oid = c.conrelid "
                "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s AND c.contype IN ('u', 'c') "
                "ORDER BY 1, 2",
                [schema],
            )
            constraints = cursor.fetchall()
            cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s ORDER BY 1", [schema])
            return constraints, [row[0] for row in cursor.fetchall()]

    assert names("shop_new") == names("tenant_template")


def test_demo_setup_with_reset_starts_the_demo_seller_afresh(db: None) -> None:
    call_command("demo_setup", stdout=io.StringIO())
    with schema_context("demo"):
        LiveSession.objects.create(platform="facebook", page_external_id="1", status="scheduled", title="Earlier demo")

    call_command("demo_setup", stdout=io.StringIO())  # without --reset the earlier live stays
    with schema_context("demo"):
        assert LiveSession.objects.filter(title="Earlier demo").exists()

    with connection.cursor() as cursor:  # the test's one transaction: run deferred FK checks before the DROP
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("demo_setup", reset=True, stdout=io.StringIO())

    with schema_context("demo"):
        assert not LiveSession.objects.exists()
        assert Product.objects.filter(code="A12").exists()  # the catalog is imported again
    assert Seller.objects.filter(schema_name="demo").count() == 1


def test_create_seller_refuses_a_template_schema_that_holds_rows_and_names_them(db: None) -> None:
    # A row in the template would be cloned into every seller created after it (issue 14: a stream entry that named
    # the template schema left a comment and an on-air live there).
    with schema_context("tenant_template"):
        Product.objects.create(code="LEAK", name="Left in the template", price_minor=100, currency="MXN")

    with pytest.raises(
        CommandError, match=r"template schema 'tenant_template' is not empty \(rows in inventory_product"
    ):
        provision()

    assert not schema_exists("shop_new")
    assert not Seller.objects.filter(schema_name="shop_new").exists()
    with schema_context("tenant_template"):
        Product.objects.filter(code="LEAK").delete()
    provision()
    with schema_context("shop_new"):
        assert not Product.objects.filter(code="LEAK").exists()

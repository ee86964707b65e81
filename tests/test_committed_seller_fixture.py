from __future__ import annotations

import subprocess
import sys

from django_tenants.utils import schema_context, schema_exists

from tenants.models import Seller
from tests.conftest import subprocess_env
from tests.factories import make_product


def test_committed_rows_are_visible_to_another_process(committed_seller: Seller) -> None:
    with schema_context(committed_seller.schema_name):
        make_product(code="Z9")

    script = (
        "import django; django.setup(); from django_tenants.utils import schema_context;"
        "from inventory.models import Product;"
        f"ctx = schema_context('{committed_seller.schema_name}'); ctx.__enter__();"
        "print(list(Product.objects.values_list('code', flat=True)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=subprocess_env(), capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "['Z9']"
    assert schema_exists(committed_seller.schema_name)

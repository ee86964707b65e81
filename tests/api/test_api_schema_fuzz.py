"""Schemathesis against the whole public API, in process: /api/v1/schema/ is valid OpenAPI 3, and every operation
in it, fed what Hypothesis generates from the schema (valid and invalid input, on made-up ids and on the seeded
seller's real ones), answers no 5xx, only status codes its schema documents, with a content type and a body that
match it. Bounded (EXAMPLES per operation and mode, derandomized) so it runs in well under a minute."""

from __future__ import annotations

import copy
import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from hooks.services import endpoint_create, hook_emit
from livestreams.models import LiveSession
from payments.models import Buyer
from tenants.models import Seller
from tests.api.support import HOST_A, api_key, claim
from tests.factories import make_comment, make_live, make_product

pytestmark = pytest.mark.slow

EXAMPLES = 15  # per operation and run: 30 to 45 cases per operation, ~1000 requests in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BASE_URL = f"http://{HOST_A}"


@dataclass
class InProcessApi:
    """Django's WSGI app called in this thread, so inside the test's transaction; the tracebacks of requests
    that raised, for the report."""

    app: WSGIHandler
    tracebacks: list[str] = field(default_factory=list)


@pytest.fixture
def in_process_api() -> Iterator[InProcessApi]:
    """As Django's test client does it: the request signals must not close the connection (it holds the test's
    transaction). Unlimited rate: the fuzzing sends hundreds of requests with one key. Django's request log is
    quiet: a failure's traceback is kept here instead (the console renderer takes seconds to draw each one)."""
    api = InProcessApi(app=WSGIHandler())
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)

    def keep_traceback(sender: object, **kwargs: Any) -> None:
        api.tracebacks.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(keep_traceback)
    try:
        with override_settings(API_RATE_PER_KEY="1000000/min"):
            yield api
    finally:
        got_request_exception.disconnect(keep_traceback)
        request_log.setLevel(level)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(seller_a: Seller, in_process_api: InProcessApi) -> OpenApiSchema:
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", in_process_api.app, base_url=BASE_URL)


def seeded(seller: Seller) -> dict[str | tuple[str, str], Any]:
    """A catalog (A12 in M and L, B7 with one unlabelled variant), a live on air with claims that reserved, waited
    in line and asked, a scheduled live: each path parameter's real value, by name, and by (operation, name)
    where an operation needs a row of its own (the scheduled live to start, another cart to pay)."""
    with schema_context(seller.schema_name):
        a12 = make_product(code="A12", variants={"M": 1, "L": 3})
        make_product(code="B7", name="Falda plisada", variants={"": 2})
        live = make_live()
        scheduled = LiveSession.objects.create(platform="facebook", page_external_id="9001", title="Mañana")
        reserved, ana = claim(live, external_id="c1", buyer="psid-ana", code="A12", variant="M")
        claim(live, external_id="c2", buyer="psid-bea", code="A12", variant="M")  # waits in line
        _, caro = claim(live, external_id="c3", buyer="psid-caro", code="A12", variant="L", qty=2)
        make_comment(live=live, external_id="c4", author="psid-dani", text="¿precio?")
        endpoint = endpoint_create(url="http://127.0.0.1:9/erp", event_types=["order.paid", "stock.low"]).endpoint
        doomed = endpoint_create(url="http://127.0.0.1:9/old", event_types=["live.ended"]).endpoint
        hook_emit([("order.paid", {"order_id": ana.order_id})])
        return {
            "code": "A12",
            "variant_id": a12.variants.get(label="M").pk,
            "live_id": live.pk,
            "order_id": ana.order_id,
            "buyer_id": Buyer.objects.get(platform_user_id="psid-ana").pk,
            "comment_id": reserved.pk,
            ("POST /api/v1/lives/{live_id}/start/", "live_id"): scheduled.pk,
            ("POST /api/v1/orders/{order_id}/mark-paid/", "order_id"): caro.order_id,
            "endpoint_id": endpoint.pk,
            ("DELETE /api/v1/webhook-endpoints/{endpoint_id}/", "endpoint_id"): doomed.pk,
        }


def operations_of(schema: OpenApiSchema) -> list[APIOperation]:
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"Schemathesis cannot read an operation of the schema: {result.err()}")
        operations.append(result.ok())
    return operations


def test_the_schema_is_valid_openapi_3_and_an_invalid_one_is_refused(api_schema: OpenApiSchema) -> None:
    api_schema.validate()  # jsonschema of OpenAPI 3.0 (schemathesis's loader): raises when invalid
    broken = copy.deepcopy(api_schema.raw_schema)
    broken["paths"]["/api/v1/products/"]["get"]["responses"] = {"200": {"content": {}}}  # no description
    with pytest.raises(Exception, match="responses"):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_operation_documents_its_problems_as_problem_json(api_schema: OpenApiSchema) -> None:
    operations = {op.label: op.definition.raw["responses"] for op in operations_of(api_schema)}

    for label, responses in operations.items():
        errors = {status: list(r["content"]) for status, r in responses.items() if status >= "400"}
        assert {"401", "429"} <= set(errors), label
        assert all(media == ["application/problem+json"] for media in errors.values()), (label, errors)
    assert set(operations["POST /api/v1/products/{code}/variants/"]) == {
        "201", "400", "401", "403", "404", "409", "422", "429"
    }  # fmt: skip
    assert set(operations["GET /api/v1/orders/"]) == {"200", "400", "401", "404", "429"}
    assert set(operations["GET /api/v1/comments/{comment_id}/"]) == {"200", "401", "404", "429"}


def fuzz(
    operation: APIOperation, api: InProcessApi, *, auth: dict[str, str], mode: GenerationMode, **fixed: Any
) -> str:
    """EXAMPLES generated cases of one operation, each called and checked; the smallest failing case, described
    (with the server's traceback when it raised), or "" when every case passed."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def run(case: Case) -> None:
        api.tracebacks.clear()
        response = case.call(base_url=BASE_URL, headers=auth)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports its failures as a group
            raise AssertionError(f"{exc}\n{''.join(api.tracebacks)}") from exc

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:
        return f"{operation.label} ({mode.value}, {fixed or 'generated ids'}):\n{exc}"
    return ""


def test_every_operation_answers_as_its_schema_says(
    seller_a: Seller, api_schema: OpenApiSchema, in_process_api: InProcessApi
) -> None:
    ids = seeded(seller_a)
    auth = {"Authorization": f"Bearer {api_key(seller_a, scope='write')}"}
    operations = operations_of(api_schema)
    failures = []
    for operation in operations:
        real_ids = {p.name: ids.get((operation.label, p.name), ids[p.name]) for p in operation.path_parameters}
        runs: list[dict[str, Any]] = [{"mode": GenerationMode.POSITIVE}, {"mode": GenerationMode.NEGATIVE}]
        if real_ids:  # the seeded rows themselves, with generated bodies and queries (valid, and invalid bodies)
            real = {"mode": GenerationMode.POSITIVE, "path_parameters": real_ids}
            if any(p.name == "Idempotency-Key" for p in operation.headers):
                # First, while the row is as seeded: the first answer is stored, the next ones replay or are a 422.
                runs.append({**real, "headers": {"Idempotency-Key": f"fuzz {operation.label}"}})
            runs.append(real)
            if any(True for _ in operation.body):
                runs.append({**real, "mode": GenerationMode.NEGATIVE})
        for run in runs:
            failures.append(fuzz(operation, in_process_api, auth=auth, **run))

    assert not any(failures), "\n\n".join(failure for failure in failures if failure)
    assert len(operations) == 25

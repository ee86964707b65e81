"""How the OpenAPI schema describes the API: its two ways in (drf-spectacular extensions, loaded by ApiConfig),
and the problems every operation can answer (ApiSchema, the AutoSchema of every v1 view)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.generics import ListAPIView

from api.problems import PROBLEM_JSON, ProblemOutput


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return dict(build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer"))


class StaffSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.StaffSessionAuthentication"
    name = "dashboardSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ApiSchema(AutoSchema):
    """Each operation lists the problem details (application/problem+json) it can answer, besides its success:

    - 401 without a valid key, 429 over the key's rate: every operation;
    - 400 (invalid body, header or JSON) and 403 (a read-only key, a session without CSRF): every change;
    - 400 (a filter value it cannot read) and 404 (a cursor it did not make): every list;
    - 404: every operation with a path parameter; 422: every POST that takes an Idempotency-Key.

    What only some operations answer (a 409 on a duplicate) they declare with `extend_schema(responses=…)`;
    any 4xx declared there is described as a problem too."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        for status, response in responses.items():
            content = response.get("content", {})
            if status >= "400" and PROBLEM_JSON not in content and content:
                response["content"] = {PROBLEM_JSON: next(iter(content.values()))}
        for code in map(str, self._problem_statuses()):
            if code not in responses:
                responses[code] = self._get_response_for_code(ProblemOutput, code, [PROBLEM_JSON], direction)
        return dict(sorted(responses.items()))

    def _problem_statuses(self) -> set[int]:
        statuses = {401, 429}
        if self.method != "GET":
            statuses |= {400, 403}
        if isinstance(self.view, ListAPIView) and self.method == "GET":
            statuses |= {400, 404}
        if "{" in self.path:
            statuses.add(404)
        if any(getattr(p, "name", "") == "Idempotency-Key" for p in self.get_override_parameters()):
            statuses.add(422)
        return statuses

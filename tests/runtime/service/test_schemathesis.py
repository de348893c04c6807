"""Property-based API tests from the service's own OpenAPI schema, over a real socket.

Every operation gets generated valid and invalid requests, sent to the live service;
every answer must be non-5xx and match the schema (status code, content type, body).

The schema is the app's `/openapi.json` document, built at import (it needs no server;
`test_the_live_service_serves_this_schema` checks it is what the server serves) because
schemathesis' lazy `from_fixture` loader does not work with pytest 9.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.runtime.service.conftest import real_app

pytestmark = pytest.mark.integration

OPENAPI = real_app().openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)


def test_the_live_service_serves_this_schema(live_url: str) -> None:
    served = httpx.get(f"{live_url}/openapi.json", timeout=10)
    assert served.json() == OPENAPI


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any], live_url: str) -> None:
    case.call_and_validate(base_url=live_url, timeout=30)

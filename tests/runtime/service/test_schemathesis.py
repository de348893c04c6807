"""Property-based API tests from the service's own OpenAPI schema, over a real socket.

Every operation gets generated valid and invalid requests, sent to the live service;
every answer must be non-5xx and match the schema (status code, content type, body).

The schema is the app's `/openapi.json` document, built at import (it needs no server;
`test_the_live_service_serves_this_schema` checks it is what the server serves) because
schemathesis' lazy `from_fixture` loader does not work with pytest 9.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from tests.runtime.service.conftest import LiveServer, real_app

pytestmark = pytest.mark.integration

load_all_checks()
ALL_CHECKS = CHECKS.get_all()  # `--checks all`
SMALL_LIMIT = 1024  # the least SERVICE_MAX_BODY_BYTES allows; long generated prompts pass it

OPENAPI = real_app().openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
# Under a small limit a body may be refused for its size alone, valid or not: a 413 must
# be documented and well-formed like any answer, and counts as neither accepting bad
# data nor turning good data away. (schemathesis' default statuses, plus 413.)
REJECTED = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx",
]  # fmt: skip
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "413", "429", "5xx"]
past_the_limit = schemathesis.openapi.from_dict(
    OPENAPI,
    config=SchemathesisConfig.from_dict(
        {
            "checks": {
                "negative_data_rejection": {"expected-statuses": REJECTED},
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
            }
        }
    ),
)


def test_the_live_service_serves_this_schema(live_url: str) -> None:
    served = httpx.get(f"{live_url}/openapi.json", timeout=10)
    assert served.json() == OPENAPI


@pytest.fixture(scope="module")
def small_limit_url() -> Iterator[str]:
    """The real app with the smallest body limit, which long generated bodies pass."""
    with LiveServer(real_app(max_body_bytes=SMALL_LIMIT)) as live:
        yield live.url


EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@schema.parametrize()
@EXAMPLES
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any], live_url: str) -> None:
    case.call_and_validate(base_url=live_url, timeout=30, checks=ALL_CHECKS)


@past_the_limit.parametrize()
@EXAMPLES
def test_api_conforms_to_its_schema_past_the_body_limit(
    case: schemathesis.Case[Any], small_limit_url: str
) -> None:
    case.call_and_validate(base_url=small_limit_url, timeout=30, checks=ALL_CHECKS)

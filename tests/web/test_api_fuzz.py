"""The partner API fuzzed from its own OpenAPI document (schemathesis): every operation, random
and boundary inputs, responses checked against the schema, never a server error.

One check is left out: "a schema-valid request must be accepted". The rules for minors (hours,
night work, the safety attestation) and the reference lists (communes, sectors, open weeks) are
checked by the service and answered with 422 and a message per field; JSON Schema cannot say
them, so schema-valid requests are rightly refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from stagebourse.services.companies import create_api_token
from tests.factories import first_school, make_campaign, make_offer


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_api_conforms_to_its_openapi_document(app, personas):
    make_campaign([first_school()])
    make_offer(personas["company"].company)
    token = create_api_token(personas["steering"], personas["company"].company, "fuzz", None)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()

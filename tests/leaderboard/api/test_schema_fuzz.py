"""schemathesis against the service's own OpenAPI document: no input makes it answer 500.

Driven through hypothesis directly (schemathesis' pytest plugin does not run under pytest 9).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.support import ORG

FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)


@pytest.mark.parametrize("who", ["anonymous", "organiser"])
def test_no_server_errors(server, who):
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    headers = {"Authorization": f"Bearer {ORG}"} if who == "organiser" else {}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 10
    seen = []
    for op in operations:

        @FUZZ
        @given(case=op.as_strategy())
        def fuzz(case):
            response = case.call(headers=headers, timeout=15)
            seen.append(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )

        fuzz()
    assert len(seen) >= len(operations)  # every operation was exercised

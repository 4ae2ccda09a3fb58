"""The client is a participant's tool: importing it (and the offline commands) loads no web framework,
database, task queue or service package; and the offline library loads no HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys

SERVICE_SIDE = ["fastapi", "starlette", "sqlmodel", "sqlalchemy", "celery", "leaderboard", "submissions", "baselines"]


def loaded(code: str, names: list[str]) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(n for n in {names!r} if n in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_client_loads_nothing_of_the_service():
    code = "import harness_client.cli, harness_client.download, harness_client.routes, harness_client.schemas"
    assert loaded(code, SERVICE_SIDE) == []


def test_the_offline_commands_load_no_http_client():
    assert loaded("import harness.cli.app", ["httpx", "harness_client", *SERVICE_SIDE]) == []

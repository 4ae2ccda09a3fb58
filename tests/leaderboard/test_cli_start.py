"""The `harness` console script starts without the service's heavy parts: they load when a command needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("celery", "kombu", "sqlalchemy", "sqlmodel", "fastapi", "uvicorn", "torch", "onnxruntime")


def test_the_console_script_loads_no_service_parts_until_a_command_runs():
    code = f"import json, sys; import leaderboard.cli; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

"""docker-compose.yml describes the scaled deployment correctly (no Docker engine runs here).

The same topology runs without Docker in test_jobs.py (web + two workers + PostgreSQL + Redis
or RabbitMQ); here the file itself is checked: services, health checks, volumes, the GPU
reservation, and that every harness command in it is one the CLI accepts.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from leaderboard.cli.main import app
from leaderboard.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def harness_services(compose) -> dict:
    return {n: s for n, s in compose["services"].items() if (s.get("command") or [""])[0] == "harness"}


def test_services_and_roles(compose):
    services = compose["services"]
    assert {"web", "worker-cpu", "worker-gpu", "postgres", "redis", "rabbitmq"} <= set(services)
    assert set(harness_services(compose)) == {"web", "worker-cpu", "worker-gpu"}
    assert services["web"]["command"][:2] == ["harness", "serve"] and "--no-worker" in services["web"]["command"]
    for name, queue in (("worker-cpu", "cpu"), ("worker-gpu", "gpu")):
        cmd = services[name]["command"]
        assert cmd[:2] == ["harness", "worker"] and cmd[cmd.index("--queues") + 1] == queue
    devices = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "deploy" not in services["worker-cpu"]
    assert services["rabbitmq"]["profiles"] == ["rabbitmq"]  # an alternative broker, off by default


def test_every_service_is_health_checked_and_restarted(compose):
    for name, svc in compose["services"].items():
        check = svc.get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        assert svc.get("restart") == "unless-stopped", name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in compose["services"] and cond == {"condition": "service_healthy"}, (name, dep)
            assert "healthcheck" in compose["services"][dep]


def test_settings_and_addresses_are_consistent(compose):
    services = compose["services"]
    known = {f"HARNESS_{f.upper()}" for f in Settings.model_fields}
    envs = {n: dict(services[n]["environment"]) for n in harness_services(compose)}
    # the organiser token is the web service's alone: a worker runs code the organiser did not write
    assert "HARNESS_ORGANISER_TOKEN" in envs["web"]
    assert all("HARNESS_ORGANISER_TOKEN" not in env for n, env in envs.items() if n != "web")
    envs["web"].pop("HARNESS_ORGANISER_TOKEN")
    env = envs["web"]
    assert all(e == env for e in envs.values())  # otherwise web and workers see the same deployment
    assert set(env) <= known, set(env) - known
    db = re.match(r"postgresql\+psycopg://(\w+):(\w+)@([\w-]+):5432/(\w+)$", env["HARNESS_DATABASE_URL"])
    assert db and db.group(3) == "postgres"
    pg = services["postgres"]["environment"]
    assert (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"]) == (db[1], db[2], db[4])
    broker = re.match(r"redis://([\w-]+):6379/\d+$", env["HARNESS_BROKER_URL"])
    assert broker and broker.group(1) in services
    timeout = re.search(
        r"consumer_timeout (\d+)", services["rabbitmq"]["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
    )
    assert int(timeout.group(1)) / 1000 > float(
        env["HARNESS_JOB_TIME_LIMIT_S"]
    )  # redelivery only after the longest job


def test_shared_storage_on_named_volumes(compose):
    declared = set(compose["volumes"])
    used = set()
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes", []):
            source, target = vol.split(":")[:2]
            assert source in declared, f"{name}: {source} is not a named volume"
            used.add(source)
    assert used == declared
    data_dir = compose["services"]["web"]["environment"]["HARNESS_DATA_DIR"]
    mounts = {n: {v.split(":")[1]: v.split(":")[0] for v in s["volumes"]} for n, s in harness_services(compose).items()}
    assert len({m[data_dir] for m in mounts.values()}) == 1  # uploads land where the workers read them


def test_every_harness_command_is_accepted_by_the_cli(compose):
    runner = CliRunner()
    commands = [s["command"] for s in harness_services(compose).values()]
    commands += [
        s["healthcheck"]["test"][1:]
        for s in harness_services(compose).values()
        if s["healthcheck"]["test"][1] == "harness"
    ]
    for cmd in commands:
        args = cmd[1:]
        # --help after the real options: typer parses every option first, so an unknown one fails
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, f"{shlex.join(cmd)}: {result.output}"
        for opt in (a for a in args if a.startswith("--")):
            assert opt in result.output, f"{opt} not an option of {shlex.join(cmd[:2])}"


def test_dockerfile_installs_pinned_torch_first_and_every_package():
    text = (ROOT / "Dockerfile").read_text()
    torch_at = text.index('pip install "torch==2.13.0"')
    assert torch_at < text.index("RUN pip install .")
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = [pattern.rstrip("*") for pattern in find["include"]]
    assert {"harness", "harness_client", "submissions", "baselines", "leaderboard"} <= set(packages)
    for package in packages:
        assert re.search(rf"^COPY {package} {package}$", text, re.M), package
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "var" in ignored

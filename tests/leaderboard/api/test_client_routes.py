"""The client's route table and payload models are the service's: every route the client calls is
mounted by a real server with the method the client uses, and every fact the `submit` command sends
reaches the stored submission under the same name."""

from __future__ import annotations

import io
import json
import os
import zipfile

import httpx
import pytest
from typer.testing import CliRunner

from harness_client import routes
from harness_client.cli import app
from harness_client.schemas import SubmissionForm, form_fields
from leaderboard.launch import start_server, stop_server
from tests.support import CPU_ONLY, ORG, build_tiny_challenge, make_zip


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data_dir = build_tiny_challenge(tmp_path_factory.mktemp("client-routes"))
    env = {
        **os.environ,
        "HARNESS_DATA_DIR": str(data_dir),
        "HARNESS_ORGANISER_TOKEN": ORG,
        "HARNESS_WORKERS": "1",
        "HARNESS_SERVE_QUEUES": CPU_ONLY,
    }
    env.pop("HARNESS_DATABASE_URL", None)
    proc, base = start_server(env, data_dir / "server.log")
    yield base, data_dir
    stop_server(proc, wait=False)


def test_every_client_route_is_mounted_with_its_method(service):
    base, _ = service
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    for route in routes.CLIENT_ROUTES:
        where = route.prefix + route.path
        assert where in paths, f"{where} is not a route of the service"
        assert route.method.lower() in paths[where], f"{where} has no {route.method}"


def test_route_urls_fill_and_quote_their_placeholders():
    assert routes.DATA_ARCHIVE.url("http://h:1/", track="s7", split="test 1", kind="inputs") == (
        "http://h:1/api/data/s7/test%201/inputs.zip"
    )
    assert routes.SUBMISSION.url("http://h:1", submission_id=12) == "http://h:1/api/submissions/12"
    with pytest.raises(KeyError):
        routes.DATA_LISTING.url("http://h:1")


def test_form_fields_are_the_forms_and_refuse_other_names():
    assert form_fields(track="s7", split="test1", device=None, epochs=3, ensemble=True) == {
        "track": "s7",
        "split": "test1",
        "epochs": "3",
        "ensemble": "True",
    }
    with pytest.raises(KeyError, match="not fields of the submission form: team"):
        form_fields(track="s7", team="x")
    assert "kind" in SubmissionForm.model_fields


def test_the_submit_command_sends_every_fact_the_service_stores(service, tmp_path):
    base, data_dir = service
    runner = CliRunner()
    res = runner.invoke(app, ["team", "create", "route-team", "--server", base, "--quiet"])
    assert res.exit_code == 0, res.output
    token = res.stdout.strip()
    preds = tmp_path / "preds"
    zipfile.ZipFile(io.BytesIO(make_zip(data_dir))).extractall(tmp_path)
    # the zip holds preds/<stem>.npy and preds/readme.txt
    args = ["submit", str(preds), "--server", base, "--token", token, "--track", "s7", "--split", "test1"]
    facts = ["--extra-data", "--ensemble", "--full-resolution", "--params-m", "1.5", "--runtime-s", "0.25"]
    facts += ["--device", "gpu", "--description", "routes", "--input-size", "504x504 patches"]
    facts += ["--epochs", "7", "--gpu", "V100", "--json"]
    res = runner.invoke(app, args + facts)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["status"] == "scored", doc
    stored = httpx.get(
        routes.SUBMISSION.url(base, submission_id=doc["id"]), headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert {k: stored[k] for k in ("extra_data", "ensemble", "full_resolution", "params_m", "runtime_s")} == {
        "extra_data": True,
        "ensemble": True,
        "full_resolution": True,
        "params_m": 1.5,
        "runtime_s": 0.25,
    }
    assert (stored["device"], stored["description"], stored["input_size"], stored["epochs"], stored["gpu"]) == (
        "gpu",
        "routes",
        "504x504 patches",
        7,
        "V100",
    )

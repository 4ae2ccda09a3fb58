"""A baseline's ONNX export timed by the team-model path: a second runtime figure on its row, in the API
and on the board, so the "measured only" view sets ONNX Runtime beside ONNX Runtime."""

from __future__ import annotations

import re

import onnxruntime
import pytest
import torch
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from leaderboard.app import create_app
from leaderboard.models import Run
from leaderboard.schemas import OnnxFigures
from leaderboard.settings import Settings
from tests.support import BASELINE_ORG as ORG


@pytest.mark.slow
def test_a_baseline_run_with_onnx_is_timed_in_onnxruntime_beside_torch(data_dir):
    app = create_app(Settings(data_dir=data_dir, organiser_token=ORG, serve_worker=False, workers=1))
    ctx = app.state.ctx
    trained = ctx.baselines.train("zeronoise", "s7", steps=1)
    result = ctx.baselines.run("zeronoise", "s7", "test1", device="cpu", onnx=True)
    assert result.status == "scored" and result.onnx is not None
    report = result.onnx
    assert report["ok"] and report["errors"] == [] and report["onnxruntime_version"] == onnxruntime.__version__
    assert report["params"] == result.measurement.params  # the export holds exactly the parameters torch counted
    assert report["macs_patch"] == pytest.approx(result.measurement.macs_patch, rel=0.01)
    assert report["runtime_patch_ms"] > 0 and report["repeats"] >= 1 and report["device"] == "cpu"
    with Session(ctx.engine) as session:
        run = session.exec(select(Run).where(Run.submission_id == result.submission_id)).one()
    assert run.kind == "baseline" and run.runtime == f"torch {torch.__version__}"  # the row's first figure
    assert run.onnxruntime_version == onnxruntime.__version__ and run.opset == report["opset"]
    assert run.weights_sha256 == trained.sha256  # the export carried the weights the torch row ran with

    with TestClient(app) as client:
        row = client.get("/api/leaderboard/s7?split=test1").json()[0]
        onnx = row["baseline"]["onnx"]
        assert onnx["runtime"] == f"onnxruntime {onnxruntime.__version__}" and onnx["error"] is None
        assert onnx["runtime_patch_ms"] == pytest.approx(report["runtime_patch_ms"])
        assert row["baseline"]["runtime"] == f"torch {torch.__version__}"
        assert row["baseline"]["weights_label"] == "untrained: short of its recipe, 1 of 120 steps" + re.search(
            r" in \d+ s on .*", row["baseline"]["weights_label"]
        ).group(0)
        html = client.get("/leaderboard/s7/board?split=test1").text
    cell = re.search(r'<td class="onnx" data-v="([^"]+)" title="([^"]+)">', html)
    assert cell and float(cell.group(1)) == pytest.approx(report["runtime_patch_ms"])
    assert f"timed on onnxruntime {onnxruntime.__version__}" in cell.group(2)
    assert 'id="measured-only" data-table="#board, #baselines"' in html and 'class="rt-torch"' in html


def test_the_figures_of_a_failed_or_absent_onnx_timing():
    assert OnnxFigures.from_report({}) is None  # a row recorded without --onnx
    failed = OnnxFigures.from_report(
        {"ok": False, "device": "cpu", "errors": [{"file": "x", "code": "export_failed", "message": "x: cannot"}]}
    )
    assert failed.error == "x: cannot" and failed.runtime_patch_ms is None and failed.runtime is None

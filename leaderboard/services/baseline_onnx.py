"""A baseline's second runtime figure: its ONNX export timed by the team-model path.

A baseline row is timed in PyTorch by ``baselines.protocol``; a team's model is timed in ONNX
Runtime by the model child (``submissions.model``). To compare like with like, a baseline run may
also export its method with the same weights (``baselines.onnx_export``, as a team would upload
it) and measure that upload with ``submissions.model.run_model`` and no split: the same checks,
child, limits, threads and timing loop as a team's model, on the same kind of device. The
report it gives is kept on the baseline's ``Run`` row (``report``, ``onnxruntime_version``,
``opset``), as a model run's is; ``schemas.OnnxFigures.from_report`` reads it back for the board
and the API.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness.challenge import TrackSpec
from harness.problems import Problem
from submissions.model import ModelLimits, ModelRunReport, run_model
from submissions.store import owner_tag

EXPORT_FAILED = "export_failed"


def time_onnx(
    name: str,
    track: TrackSpec,
    weights: Path | None,
    *,
    device: str,
    limits: ModelLimits,
    work_root: Path | None = None,
) -> ModelRunReport:
    """Export ``name`` with ``weights`` (None: the method has none) and measure the export as a team's model.

    Never raises for the export or the run: a method that cannot be exported, or whose export fails
    in the child, gives a report with ``ok`` False and the reason in ``errors``.
    """
    from baselines.onnx_export import ExportError, export_method  # torch: imported by the job that needs it
    from baselines.weights import WeightsError

    with tempfile.TemporaryDirectory(prefix=f"{owner_tag()}baseline-onnx-{name}-", dir=work_root) as tmp:
        upload = Path(tmp) / f"{name}.zip"
        try:
            export_method(name, track, upload, weights=weights)
        except (ExportError, WeightsError) as exc:
            problem = Problem(file=name, code=EXPORT_FAILED, message=f"{name}: {exc}")
            return ModelRunReport(ok=False, track=track.name, errors=[problem], device=device)
        return run_model(upload, track, None, None, limits=limits, device=device, work_root=Path(tmp))

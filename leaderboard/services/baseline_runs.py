"""Baseline runs recorded as leaderboard rows: train, predict, measure, score.

The CLI (``harness baselines run``) and the ``baseline-run`` / ``baseline-train`` jobs both call
this class, so a run from a terminal and one from a GPU worker are the same thing. A run's
predictions are zipped and kept like an upload, then scored right here by the same code path
as every submission (no second job).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from baselines.provenance import Provenance
from harness.metrics import get_profile
from harness.scoring import score_directories
from leaderboard.models import Run, Score, Status, Submission
from leaderboard.services.baseline_onnx import time_onnx
from leaderboard.services.challenge import Challenge
from leaderboard.services.model_runs import model_limits
from leaderboard.services.scoring import Scoring
from leaderboard.services.submissions import Submissions
from leaderboard.services.teams import Teams
from leaderboard.settings import Settings

if TYPE_CHECKING:
    from baselines.protocol import Measurement
    from baselines.train import TrainResult
    from baselines.workflow import RunResult


def _workflow():
    """The baselines' torch side, imported on first use: the service, its workers and the pages
    start without torch (about 3 s of CPU per process), and only a baseline job pays for it."""
    from baselines import workflow

    return workflow


class BaselineRuns:
    def __init__(
        self,
        settings: Settings,
        engine,
        challenge: Challenge,
        teams: Teams,
        submissions: Submissions,
        scoring: Scoring,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.challenge = challenge
        self.teams = teams
        self.submissions = submissions
        self.scoring = scoring

    def weights_path(self, method: str, track: str) -> Path:
        return _workflow().weights_path(self.settings.data_dir, self.challenge.name, method, track)

    def has_weights(self, method: str, track: str) -> bool:
        return not _workflow().needs_weights(method) or self.weights_path(method, track).exists()

    def train(
        self,
        name: str,
        track: str,
        *,
        steps: int | None = None,
        epochs: float | None = None,
        minutes: float | None = None,
        seed: int | None = None,
        device: str | None = None,
        out: Path | None = None,
        on_progress: Callable | None = None,
    ) -> TrainResult:
        return _workflow().train_method(
            name,
            self.challenge.track(track),
            self.challenge.layout,
            out or self.weights_path(name, track),
            steps=steps,
            epochs=epochs,
            minutes=minutes,
            seed=seed,
            device=device,
            on_progress=on_progress,
        )

    def run(
        self,
        name: str,
        track: str,
        split: str,
        *,
        device: str | None = None,
        weights: Path | None = None,
        mode: str | None = None,
        record: bool = True,
        out_dir: Path | None = None,
        onnx: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> RunResult:
        """Predict a split with a method, measure it, and (``record``) score it as a baseline row.

        ``onnx``: also export it with the same weights and time the export by the team-model path
        (``baseline_onnx``): a second runtime figure, in ONNX Runtime, kept on the row."""
        wf = _workflow()
        dev = wf.pick_device(device)
        track_spec = self.challenge.track(track)
        weights_file = weights or self.weights_path(name, track)
        method, model, provenance = wf.load_model(
            name, track_spec, weights_file, explicit=weights is not None, device=dev
        )
        with tempfile.TemporaryDirectory(prefix=f"baseline-{name}-") as tmp:
            preds = out_dir or Path(tmp) / "preds"
            mode, measurement, run = wf.predict_split(
                name,
                model,
                track_spec,
                self.challenge.layout,
                split,
                preds,
                device=dev,
                mode=mode,
                on_progress=on_progress,
            )
            result = wf.RunResult(
                method=name,
                track=track,
                split=split,
                mode=mode,
                submission_id=None,
                status="predicted",
                weights_sha256=provenance.sha256,
                provenance=provenance,
                runtime=f"{measurement.runtime}, {measurement.device}",
                measurement=measurement,
                seconds_per_input=sum(run.seconds) / max(1, len(run.seconds)),
                preds_dir=str(out_dir) if out_dir else None,
            )
            if onnx:
                self.scoring.work_root.mkdir(parents=True, exist_ok=True)
                result.onnx = time_onnx(
                    name,
                    track_spec,
                    weights_file if provenance.sha256 else None,  # the weights the PyTorch row ran with
                    device="cuda" if dev.type == "cuda" else "cpu",
                    limits=model_limits(self.settings),
                    work_root=self.scoring.work_root,
                ).model_dump(mode="json", exclude={"files"})
            if not record:
                report = score_directories(
                    preds,
                    self.challenge.files(track, split).gt,
                    profile=get_profile(self.challenge.profile(track)),
                    workers=self.settings.workers,
                )
                result.status = "scored" if report.ok else "failed"
                result.psnr, result.ssim, result.n_images = report.psnr, report.ssim, report.n_images
                return result
            sub_id = self._record(method.card, measurement, track, split, mode, preds, provenance, result.onnx)
        try:
            status = self.scoring.process(sub_id)
        except Exception as exc:
            self.scoring.fail(sub_id, f"{type(exc).__name__}: {exc}")
            raise
        with Session(self.engine) as session:
            score = session.exec(select(Score).where(Score.submission_id == sub_id, Score.current)).first()
        result.submission_id = sub_id
        result.status = Status(status).value
        if score is not None:
            result.psnr, result.ssim, result.n_images = score.psnr, score.ssim, score.n_images
        return result

    def _record(
        self, card, m: Measurement, track, split, mode, preds: Path, prov: Provenance, onnx: dict | None
    ) -> int:
        facts = {
            "extra_data": card.extra_data,
            "ensemble": card.ensemble or m.tta,
            "full_resolution": mode == "full",
            "params_m": round(m.params / 1e6, 4),
            "runtime_s": round((m.runtime_full_ms if mode == "full" else m.runtime_patch_ms) / 1000, 4),
            "device": "gpu" if m.device == "cuda" else "cpu",
            "input_size": "full image (tiled)" if mode == "full" else f"{m.input_patch[0]}x{m.input_patch[1]} patches",
            "gpu": m.device_name,
        }

        def add_run(session: Session, sub: Submission) -> None:
            session.add(
                Run(
                    submission_id=sub.id,
                    kind="baseline",
                    method=card.name,
                    inputs=mode,
                    weights_sha256=prov.sha256,
                    train_steps=prov.steps,
                    weights_state=prov.state,
                    train_wall_s=prov.wall_s,
                    train_device=prov.device,
                    train_recipe=prov.recipe,
                    device=m.device,
                    device_name=m.device_name,
                    runtime=m.runtime,
                    torch_version=m.torch_version,
                    dtype=m.dtype,
                    tta=m.tta,
                    params=m.params,
                    params_frozen=m.params_frozen,
                    macs_g_patch=m.macs_patch / 1e9,
                    runtime_patch_ms=m.runtime_patch_ms,
                    runtime_full_ms=m.runtime_full_ms,
                    peak_memory_mb=m.peak_memory_mb,
                    peak_gpu_memory_mb=m.peak_gpu_memory_mb,
                    fidelity=card.fidelity,
                    reported_params_m=card.reported_params_m,
                    reported_runtime_ms=card.reported_runtime_ms,
                    reported_gpu=card.reported_gpu,
                    # its ONNX export timed by the team-model path, as a model run's report is kept
                    report=onnx or {},
                    onnxruntime_version=(onnx or {}).get("onnxruntime_version"),
                    opset=(onnx or {}).get("opset"),
                )
            )

        with Session(self.engine) as session, self.submissions.store.received_predictions(preds) as received:
            team = self.teams.baseline_team(session, card.name)
            sub = self.submissions.keep(
                session,
                team,
                track,
                split,
                received,
                {**facts, "description": card.title},
                before_commit=add_run,
                job=False,
            )
            return sub.id


__all__ = ["BaselineRuns"]

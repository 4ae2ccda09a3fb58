"""Baseline runs end to end: train, predict, measure, and record them as leaderboard rows.

The CLI (``harness baselines ...``) and the ``baseline-run`` / ``baseline-train`` jobs both call
these functions, so a run from a terminal and one from a GPU worker are the same thing.
A run's predictions are stored like an upload and scored by the very path submissions take.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch
from pydantic import BaseModel
from sqlmodel import Session, select

from baselines import registry
from baselines.infer import SplitRun, run_split
from baselines.protocol import Measurement, measure
from baselines.train import TrainResult, train
from baselines.weights import WeightsError, load_weights
from leaderboard.models import BaselineRun, Job, Status, Submission, Team
from leaderboard.service import token_hash

log = logging.getLogger("harness.baselines")

TEAM_PREFIX = "baseline: "  # a colon never appears in a registered team's name


class RunResult(BaseModel):
    method: str
    track: str
    split: str
    mode: str
    submission_id: int | None
    status: str
    psnr: float | None = None
    ssim: float | None = None
    n_images: int = 0
    weights_sha256: str | None
    measurement: Measurement
    seconds_per_input: float
    preds_dir: str | None = None


def weights_path(service, method: str, track: str) -> Path:
    """Where a method's trained weights live (a variant such as ssdnet-tr uses its base method's)."""
    method = registry.get(method).card.weights_of or method
    return Path(service.settings.data_dir) / "baselines" / service.spec.name / method / f"{track}.safetensors"


def pick_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device here")
    return torch.device(device)


def train_baseline(
    service,
    name: str,
    track: str,
    *,
    steps: int | None = None,
    epochs: float | None = None,
    minutes: float | None = None,
    seed: int = 0,
    device: str | None = None,
    out: Path | None = None,
    on_progress: Callable | None = None,
) -> TrainResult:
    method = registry.get(name)
    out = out or weights_path(service, name, track)
    if method.card.weights_of:  # a variant (e.g. an ensemble) trains its base method's network
        method = registry.get(method.card.weights_of)
    return train(
        method,
        service.spec.track(track),
        service.root,
        out,
        steps=steps,
        epochs=epochs,
        minutes=minutes,
        seed=seed,
        device=pick_device(device),
        on_progress=on_progress,
    )


def load_model(service, name: str, track: str, *, weights: Path | None, device: torch.device):
    """The method's model on ``device`` with its weights (learned and fitted methods must have some)."""
    method = registry.get(name)
    model = method.build(service.spec.track(track))
    digest, steps = None, None
    needs_weights = method.card.kind == "learned" or method.fit is not None
    path = weights or weights_path(service, name, track)
    if weights is not None or needs_weights:
        if not path.exists():
            raise WeightsError(
                f"{name} has no weights for track {track} ({path}); train it first: "
                f"harness baselines train {name} --track {track} --minutes 2"
            )
        meta, digest = load_weights(model, path)
        steps = int(meta["steps"]) if str(meta.get("steps", "")).isdigit() else None
    return method, model.to(device).eval(), digest, steps


def _zip_dir(folder: Path, into) -> None:
    with zipfile.ZipFile(into, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
    into.seek(0)


def baseline_team(session: Session, name: str) -> Team:
    team_name = f"{TEAM_PREFIX}{name}"
    team = session.exec(select(Team).where(Team.name == team_name)).first()
    if team is None:
        # no one holds a token for it: baseline rows are only written by the harness itself
        team = Team(name=team_name, kind="baseline", token_sha256=token_hash(secrets.token_urlsafe(32)))
        session.add(team)
        session.commit()
        session.refresh(team)
    return team


def run_baseline(
    service,
    name: str,
    track: str,
    split: str,
    *,
    device: str | None = None,
    weights: Path | None = None,
    mode: str | None = None,
    record: bool = True,
    out_dir: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Predict a split with a method, measure it, and (``record``) score it as a baseline row."""
    dev = pick_device(device)
    method, model, digest, steps = load_model(service, name, track, weights=weights, device=dev)
    card = method.card
    track_spec = service.spec.track(track)
    split_spec = track_spec.split(split)
    if split_spec.kind != "test":
        raise ValueError(f"split {split!r} is not a test split")
    split_dir = service.root / track / split
    has_full = (split_dir / "full" / "rgb").is_dir()
    mode = mode or ("full" if has_full and card.full_resolution else "patches")
    if mode == "full" and not has_full:
        raise ValueError(f"{track}/{split} has no full-resolution images")
    measurement = measure(model, method=name, track=track_spec, device=dev, multiple=card.multiple)
    expected = card.expected_params.get(track)
    if expected is not None and measurement.params != expected:
        log.warning("%s/%s: %d parameters measured, %d expected", name, track, measurement.params, expected)
    with tempfile.TemporaryDirectory(prefix=f"baseline-{name}-") as tmp:
        preds = out_dir or Path(tmp) / "preds"
        run: SplitRun = run_split(
            model, track_spec, split_dir, preds, multiple=card.multiple, device=dev, mode=mode, on_progress=on_progress
        )
        per_input = sum(run.seconds) / max(1, len(run.seconds))
        if mode == "full":
            measurement.runtime_full_ms = per_input * 1000
        result = RunResult(
            method=name,
            track=track,
            split=split,
            mode=mode,
            submission_id=None,
            status="predicted",
            weights_sha256=digest,
            measurement=measurement,
            seconds_per_input=per_input,
            preds_dir=str(out_dir) if out_dir else None,
        )
        if not record:
            from harness.scoring import score_directories

            report = score_directories(preds, split_dir / "gt", workers=service.settings.workers)
            result.status = "scored" if report.ok else "failed"
            result.psnr, result.ssim, result.n_images = report.psnr, report.ssim, report.n_images
            return result
        sub = _record(service, card, measurement, track, split, mode, preds, digest, steps)
    status = _score_now(service, sub.id)
    with Session(service.engine) as session:
        from leaderboard.models import Score

        score = session.exec(select(Score).where(Score.submission_id == sub.id, Score.current)).first()
    result.submission_id = sub.id
    result.status = status.value
    if score is not None:
        result.psnr, result.ssim, result.n_images = score.psnr, score.ssim, score.n_images
    return result


def _record(service, card, m: Measurement, track, split, mode, preds: Path, digest, steps) -> Submission:
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
            BaselineRun(
                submission_id=sub.id,
                method=card.name,
                track=track,
                split=split,
                mode=mode,
                weights_sha256=digest,
                train_steps=steps,
                device=m.device,
                device_name=m.device_name,
                torch_version=m.torch_version,
                dtype=m.dtype,
                tta=m.tta,
                params=m.params,
                params_frozen=m.params_frozen,
                macs_g_patch=m.macs_patch / 1e9,
                runtime_patch_ms=m.runtime_patch_ms,
                runtime_full_ms=m.runtime_full_ms,
                peak_memory_mb=m.peak_memory_mb,
                fidelity=card.fidelity,
                reported_params_m=card.reported_params_m,
                reported_runtime_ms=card.reported_runtime_ms,
                reported_gpu=card.reported_gpu,
            )
        )

    with Session(service.engine) as session, tempfile.SpooledTemporaryFile(max_size=64 << 20) as buf:
        _zip_dir(preds, buf)
        team = baseline_team(session, card.name)
        sub = service.store(
            session, team, track, split, buf, {**facts, "description": card.title}, before_commit=add_run
        )
        session.expunge(sub)
        return sub


def _score_now(service, submission_id: int) -> Status:
    """Run the submission's scoring job here (claimed like any job; a worker's copy becomes a no-op)."""
    from leaderboard.jobs import run_job

    with Session(service.engine) as session:
        job = session.exec(select(Job).where(Job.submission_id == submission_id)).first()
    run_job(job.id, service=service)
    with Session(service.engine) as session:
        return Status(session.get(Submission, submission_id).status)

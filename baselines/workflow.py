"""A method's run without the leaderboard: where its weights live, its model on a device,
training it on a challenge, predicting and measuring a split.

``leaderboard.services.baseline_runs`` records such runs as leaderboard rows; the CLI's
``baselines train`` / ``measure`` use these functions directly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import torch
from pydantic import BaseModel

from baselines import registry
from baselines.infer import SplitRun, run_split
from baselines.protocol import Measurement, measure
from baselines.provenance import Provenance, from_metadata
from baselines.train import TrainResult, record_path, train, train_data_digest
from baselines.weights import WeightsError, check_safetensors, load_weights
from harness.challenge import ChallengeLayout, TrackSpec

log = logging.getLogger("harness.baselines")


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
    provenance: Provenance
    runtime: str  # what it was timed on: "torch 2.13.0, cpu"
    measurement: Measurement
    seconds_per_input: float
    preds_dir: str | None = None
    onnx: dict | None = None  # its ONNX export timed by the team-model path (that run's report), when asked


SHIPPED = Path(__file__).parent / "weights"  # trained demo weights in the package: <method>/<track>.safetensors


def weights_path(data_dir: Path, challenge: str, method: str, track: str, *, shipped_dir: Path = SHIPPED) -> Path:
    """Where a method's trained weights live (a variant such as ssdnet-tr uses its base method's).

    Weights trained here (under the data dir) come first. Where there are none, the package's
    shipped demo weights (``baselines/weights/``) stand in, but only for training data they were
    trained on: the sha256 of the track's train files in the challenge's ``MANIFEST.sha256``
    must equal the one recorded in the weights (``train_data``).
    """
    method = registry.get(method).card.weights_of or method
    own = Path(data_dir) / "baselines" / challenge / method / f"{track}.safetensors"
    shipped = shipped_dir / method / f"{track}.safetensors"
    if not own.exists() and shipped.exists():
        here = train_data_digest(ChallengeLayout.under(data_dir, challenge), track)
        if here is not None and check_safetensors(shipped).get("train_data") == here:
            return shipped
    return own


def pick_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device here")
    return torch.device(device)


def needs_weights(name: str) -> bool:
    method = registry.get(name)
    return method.card.kind == "learned" or method.fit is not None


def train_method(
    name: str,
    track: TrackSpec,
    layout: ChallengeLayout,
    out: Path,
    *,
    steps: int | None = None,
    epochs: float | None = None,
    minutes: float | None = None,
    seed: int | None = None,
    device: str | None = None,
    half: bool = False,
    on_progress: Callable | None = None,
) -> TrainResult:
    """Train (or fit) a method on the challenge's train split into ``out`` (no budget: its recipe)."""
    method = registry.for_track(name, track)
    if method.card.weights_of:  # a variant (e.g. an ensemble) trains its base method's network
        method = registry.get(method.card.weights_of)
    return train(
        method,
        track,
        layout,
        out,
        steps=steps,
        epochs=epochs,
        minutes=minutes,
        seed=seed,
        device=pick_device(device),
        half=half,
        on_progress=on_progress,
    )


def load_model(name: str, track: TrackSpec, weights: Path, *, explicit: bool, device: torch.device):
    """The method's model on ``device`` with its weights (learned and fitted methods must have some).

    ``explicit``: the caller named ``weights`` (load it even for a method that needs none).
    Returns (method, model, the weights' provenance).
    """
    method = registry.for_track(name, track)
    model = method.build(track)
    provenance = from_metadata(None, None, fitted=False)
    if explicit or needs_weights(name):
        if not weights.exists():
            raise WeightsError(
                f"{name} has no weights for track {track.name} ({weights}); train it first: "
                f"harness baselines train {name} --track {track.name}"
            )
        meta, digest = load_weights(model, weights)
        provenance = from_metadata(meta, digest, fitted=method.fit is not None, record=_record(weights))
    return method, model.to(device).eval(), provenance


def _record(weights: Path) -> dict | None:
    """The training record beside weights, if it is there and reads as JSON."""
    try:
        record = json.loads(record_path(weights).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def predict_split(
    name: str,
    model,
    track: TrackSpec,
    layout: ChallengeLayout,
    split: str,
    preds: Path,
    *,
    device: torch.device,
    mode: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[str, Measurement, SplitRun]:
    """Measure the model by the protocol, then predict every input of a test split into ``preds``.

    Returns (mode used, measurement with the full-image runtime of this run where mode is full, timings).
    """
    card = registry.for_track(name, track).card
    if track.split(split) not in track.test_splits:  # an unknown split raises NotFound here
        raise ValueError(f"split {split!r} is not a test split")
    files = layout.split(track.name, split, track.kind)
    if track.forward:  # RAW in, sRGB PNG out (baselines.forward); patches only
        from baselines.forward import run_forward_split

        if mode not in (None, "patches"):
            raise ValueError(f"{track.name} is a forward track: it is predicted in patches only")
        measurement = measure(model, method=name, track=track, device=device, multiple=card.multiple)
        return (
            "patches",
            measurement,
            run_forward_split(model, track, files, preds, device=device, on_progress=on_progress),
        )
    has_full = files.has_full
    mode = mode or ("full" if has_full and card.full_resolution else "patches")
    if mode == "full" and not has_full:
        raise ValueError(f"{track.name}/{split} has no full-resolution images")
    measurement = measure(model, method=name, track=track, device=device, multiple=card.multiple)
    expected = card.expected_params.get(track.name)
    if expected is not None and measurement.params != expected:
        log.warning("%s/%s: %d parameters measured, %d expected", name, track.name, measurement.params, expected)
    run = run_split(
        model, track, files, preds, multiple=card.multiple, device=device, mode=mode, on_progress=on_progress
    )
    if mode == "full":
        measurement.runtime_full_ms = sum(run.seconds) / max(1, len(run.seconds)) * 1000
    return mode, measurement, run

"""Training a learned method (or fitting a model-based one) on a challenge's train split."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel

from baselines.data import random_crop, train_pairs
from baselines.registry import Method
from baselines.weights import save_weights
from harness import __version__
from harness.challenge import ChallengeLayout, TrackSpec


class TrainResult(BaseModel):
    method: str
    track: str
    steps: int
    seconds: float
    seed: int
    loss_first: float | None  # mean loss over the first tenth of the steps
    loss_last: float | None  # ... and over the last tenth
    losses: list[float]
    weights: str
    sha256: str
    fitted: dict | None = None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _batch(pairs, size: int, batch: int, rng: np.random.Generator, device) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for _ in range(batch):
        rgb, raw = random_crop(pairs[int(rng.integers(len(pairs)))], size, rng)
        xs.append(torch.from_numpy(rgb).permute(2, 0, 1))
        ys.append(torch.from_numpy(raw.astype(np.float32)).permute(2, 0, 1))
    x = torch.stack(xs).to(device).float() / 255
    y = torch.stack(ys).to(device) / 1024  # the challenge's RAW scaling
    return x, y


def train(
    method: Method,
    track: TrackSpec,
    challenge: ChallengeLayout,
    out: Path,
    *,
    steps: int | None = None,
    epochs: float | None = None,
    minutes: float | None = None,
    seed: int = 0,
    device: torch.device = torch.device("cpu"),
    crop: int | None = None,
    on_progress: Callable[[int, int | None, float], None] | None = None,
) -> TrainResult:
    """Train (or fit) and write ``out`` (safetensors); stops at the first budget reached.

    Trains on every train split of the track (``track.train_splits``). One epoch = as many
    crops as those splits have pairs. Deterministic for a seed on one device.
    """
    card = method.card
    seed_everything(seed)
    if not track.train_splits:
        raise ValueError(f"track {track.name} has no train split")
    pairs = [p for s in track.train_splits for p in train_pairs(challenge.split(track.name, s.name))]
    model = method.build(track).to(device)
    meta = {
        "method": card.name,
        "track": track.name,
        "seed": seed,
        "harness_version": __version__,
        "torch_version": torch.__version__,
    }
    t0 = time.perf_counter()
    if method.fit is not None:  # model-based with fitted constants
        fitted = method.fit(model, [(p.rgb, p.raw) for p in pairs], track)
        digest = save_weights(model, out, {**meta, "fitted": json.dumps(fitted), "steps": 0})
        return TrainResult(
            method=card.name,
            track=track.name,
            steps=0,
            seconds=time.perf_counter() - t0,
            seed=seed,
            loss_first=None,
            loss_last=None,
            losses=[],
            weights=str(out),
            sha256=digest,
            fitted=fitted,
        )
    if card.kind != "learned" or card.recipe is None:
        raise ValueError(f"{card.name} is model-based with nothing to fit; it needs no training")
    recipe = card.recipe
    # the crop fits the smallest pair and the network's size multiple (training does not pad)
    smallest = min(min(p.rgb.shape[:2]) for p in pairs)
    size = min(crop or recipe.crop, smallest - 2)  # -2: a flip may move the red site to an odd row
    size -= size % max(2, card.multiple)
    if size < max(2, card.multiple):
        raise ValueError(f"training images of {smallest} px are too small for {card.name}")
    if epochs is not None:
        steps = max(1, math.ceil(epochs * len(pairs) / recipe.batch)) if steps is None else steps
    if steps is None and minutes is None:
        raise ValueError("give a budget: steps, epochs or minutes")
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    loss_fn = torch.nn.L1Loss() if recipe.loss == "l1" else torch.nn.MSELoss()
    model.train()
    losses: list[float] = []
    deadline = t0 + minutes * 60 if minutes is not None else math.inf
    step = 0
    while (steps is None or step < steps) and time.perf_counter() < deadline:
        x, y = _batch(pairs, size, recipe.batch, rng, device)
        opt.zero_grad(set_to_none=True)
        loss = method.train_loss(model, x, y) if method.train_loss else loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if on_progress:
            on_progress(step, steps, losses[-1])
    model.eval()
    tenth = max(1, len(losses) // 10)
    digest = save_weights(model, out, {**meta, "steps": step, "recipe": recipe.model_dump_json(), "crop": size})
    return TrainResult(
        method=card.name,
        track=track.name,
        steps=step,
        seconds=time.perf_counter() - t0,
        seed=seed,
        loss_first=float(np.mean(losses[:tenth])) if losses else None,
        loss_last=float(np.mean(losses[-tenth:])) if losses else None,
        losses=losses,
        weights=str(out),
        sha256=digest,
    )

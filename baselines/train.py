"""Training a learned method (or fitting a model-based one) on a challenge's train split."""

from __future__ import annotations

import hashlib
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
from baselines.protocol import device_name
from baselines.registry import Method
from baselines.weights import save_weights
from harness import __version__
from harness.challenge import ChallengeLayout, TrackSpec


class TrainResult(BaseModel):
    method: str
    track: str
    steps: int
    recipe_steps: int | None = None
    seconds: float
    device: str = "cpu"
    budget: str = "recipe"  # what bounded it: the recipe's steps, or the steps / epochs / minutes asked for
    seed: int
    loss_first: float | None  # mean loss over the first tenth of the steps
    loss_last: float | None  # ... and over the last tenth
    losses: list[float]
    weights: str
    sha256: str
    record: str | None = None  # the training record beside the weights (<weights>.train.json: loss curve, recipe)
    fitted: dict | None = None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _batch(
    pairs, size: int, batch: int, rng: np.random.Generator, device, *, forward: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of (input, target): sRGB / 255 -> RAW / 1024, or the other way on a forward track."""
    xs, ys = [], []
    for _ in range(batch):
        rgb, raw = random_crop(pairs[int(rng.integers(len(pairs)))], size, rng)
        xs.append(torch.from_numpy(rgb).permute(2, 0, 1))
        ys.append(torch.from_numpy(raw.astype(np.float32)).permute(2, 0, 1))
    x = torch.stack(xs).to(device).float() / 255
    y = torch.stack(ys).to(device) / 1024  # the challenge's RAW scaling
    return (y, x) if forward else (x, y)


def train(
    method: Method,
    track: TrackSpec,
    challenge: ChallengeLayout,
    out: Path,
    *,
    steps: int | None = None,
    epochs: float | None = None,
    minutes: float | None = None,
    seed: int | None = None,
    device: torch.device = torch.device("cpu"),
    crop: int | None = None,
    half: bool = False,
    on_progress: Callable[[int, int | None, float], None] | None = None,
) -> TrainResult:
    """Train (or fit) and write ``out`` (safetensors); stops at the first budget reached.

    With no budget given, follows the card's recipe for the track (``MethodCard.recipe_for``) to its ``steps`` (its seed too, unless
    ``seed`` is given). Trains on every train split of the track (``track.train_splits``). One
    epoch = as many crops as those splits have pairs. Deterministic for a seed on one device.
    The metadata of the weights records steps, the recipe's steps, device, budget and seed
    (``baselines.provenance`` reads them); ``<out>.train.json`` beside them holds the wall time and
    the loss curve (kept out of the weights, so equal weights still give equal bytes). ``half`` stores float16 weights (what the package ships).
    """
    card = method.card
    recipe = card.recipe_for(track.name)
    if seed is None:
        seed = recipe.seed if recipe is not None else 0
    seed_everything(seed)
    if not track.train_splits:
        raise ValueError(f"track {track.name} has no train split")
    pairs = [p for s in track.train_splits for p in train_pairs(challenge.split(track.name, s.name, track.kind))]
    model = method.build(track).to(device)
    meta = {
        "method": card.name,
        "track": track.name,
        "seed": seed,
        "harness_version": __version__,
        "torch_version": torch.__version__,
        "device": device_name(device),  # as the measurement protocol names it
        "train_data": train_data_digest(challenge, track.name) or "",
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
    if card.kind != "learned" or recipe is None:
        raise ValueError(f"{card.name} is model-based with nothing to fit; it needs no training")
    # the crop fits the smallest pair and the network's size multiple (training does not pad)
    smallest = min(min(p.rgb.shape[:2]) for p in pairs)
    size = min(crop or recipe.crop, smallest - 2)  # -2: a flip may move the red site to an odd row
    size -= size % max(2, card.multiple)
    if size < max(2, card.multiple):
        raise ValueError(f"training images of {smallest} px are too small for {card.name}")
    if epochs is not None:
        steps = max(1, math.ceil(epochs * len(pairs) / recipe.batch)) if steps is None else steps
    budget = "recipe"
    if steps is not None or epochs is not None or minutes is not None:
        budget = ", ".join(f"{k} {v}" for k, v in (("steps", steps), ("epochs", epochs), ("minutes", minutes)) if v)
    elif recipe.steps is not None:
        steps = recipe.steps
    else:
        raise ValueError(f"{card.name} has no recipe steps; give a budget: steps, epochs or minutes")
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    loss_fn = torch.nn.L1Loss() if recipe.loss == "l1" else torch.nn.MSELoss()
    model.train()
    losses: list[float] = []
    deadline = t0 + minutes * 60 if minutes is not None else math.inf
    step = 0
    lr_steps = recipe.steps or steps  # the cosine schedule runs over the recipe's steps, whatever stops it
    while (steps is None or step < steps) and time.perf_counter() < deadline:
        if recipe.schedule == "cosine" and lr_steps:
            for group in opt.param_groups:
                group["lr"] = recipe.lr * 0.5 * (1 + math.cos(math.pi * min(step, lr_steps) / lr_steps))
        x, y = _batch(pairs, size, recipe.batch, rng, device, forward=track.forward)
        opt.zero_grad(set_to_none=True)
        loss = method.train_loss(model, x, y) if method.train_loss else loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if on_progress:
            on_progress(step, steps, losses[-1])
    model.eval()
    seconds = time.perf_counter() - t0
    tenth = max(1, len(losses) // 10)
    loss_last = float(np.mean(losses[-tenth:])) if losses else None
    recorded = {
        **meta,
        "steps": step,
        "recipe_steps": recipe.steps if recipe.steps is not None else "",
        "recipe": recipe.model_dump_json(),
        "crop": size,
        "budget": budget,
        "loss_last": loss_last if loss_last is not None else "",
    }
    if half:
        model = model.half()
    digest = save_weights(model, out, recorded)
    result = TrainResult(
        method=card.name,
        track=track.name,
        steps=step,
        recipe_steps=recipe.steps,
        seconds=seconds,
        device=meta["device"],
        budget=budget,
        seed=seed,
        loss_first=float(np.mean(losses[:tenth])) if losses else None,
        loss_last=loss_last,
        losses=losses,
        weights=str(out),
        sha256=digest,
        record=str(record_path(out)),
    )
    # the record names its files, not this machine's paths: it travels beside the weights (shipped ones too)
    kept = result.model_copy(update={"weights": Path(out).name, "record": record_path(out).name})
    record_path(out).write_text(kept.model_dump_json(indent=1) + "\n")
    return result


def train_data_digest(challenge: ChallengeLayout, track: str) -> str | None:
    """sha256 over the ``MANIFEST.sha256`` lines of a track's train files: which training data weights saw
    (None: the challenge has no manifest)."""
    try:
        lines = challenge.manifest.read_text().splitlines()
    except OSError:
        return None
    mine = sorted(line for line in lines if line.split("  ", 1)[-1].startswith(f"{track}/train/"))
    return hashlib.sha256("\n".join(mine).encode()).hexdigest() if mine else None


def record_path(weights: Path) -> Path:
    """The training record beside a weights file: ``<name>.train.json``."""
    weights = Path(weights)
    return weights.with_name(weights.stem + ".train.json")

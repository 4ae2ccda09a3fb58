"""Method cards and the registry: every method is looked up by its stable name."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from harness.challenge import TrackSpec
from harness.errors import NotFound


class TrainRecipe(BaseModel):
    """How the harness trains a learned method (the team's recipe where it is published)."""

    loss: Literal["l1", "mse"] = "l1"
    lr: float = 1e-4
    weight_decay: float = 0.0
    batch: int = 4
    crop: int = Field(128, description="RGB crop side for training (even); the RAW crop is half")
    steps: int | None = Field(None, description="optimiser steps of a full training (None: no demo recipe yet)")
    schedule: Literal["constant", "cosine"] = Field("constant", description="learning rate over the steps")
    seed: int = 0
    note: str = ""


class MethodCard(BaseModel):
    """What a method is and what the challenge report says about it."""

    name: str
    title: str
    team: str
    paper: str
    kind: Literal["learned", "model-based"]
    fidelity: str = Field(
        description="A exact net, B net exact / training incomplete, C from the paper, D reported only"
    )
    reported_params_m: float | None = None
    reported_runtime_ms: float | None = None
    reported_gpu: str | None = None
    extra_data: bool = False
    ensemble: bool = False
    full_resolution: bool = False  # the team ran on stitched full-resolution images
    multiple: int = Field(2, description="input H and W must be divisible by this (RGB pixels); inputs are padded")
    expected_params: dict[str, int] = Field(default_factory=dict, description="exact used-parameter count per track")
    quirks: list[str] = Field(default_factory=list)
    recipe: TrainRecipe | None = None
    track_recipes: dict[str, TrainRecipe] = Field(
        default_factory=dict, description="a track's own recipe where the method's does not reach its target there"
    )
    weights_of: str | None = Field(None, description="use the weights trained for this other method (a variant)")
    direction: Literal["reverse", "forward"] = Field(
        "reverse", description="the kind of track it serves: reverse (sRGB -> RAW) or forward (RAW -> sRGB)"
    )

    def recipe_for(self, track: str) -> TrainRecipe | None:
        """The recipe training follows on ``track``: the track's own, else the method's."""
        return self.track_recipes.get(track, self.recipe)


@dataclass
class Method:
    card: MethodCard
    # -> torch.nn.Module mapping N x 3 x H x W in [0,1] to N x 4 x H/2 x W/2 (a forward method: the other way,
    # N x 4 x h x w RAW / normaliser to N x 3 x 2h x 2w sRGB in [0, 1]; baselines.forward)
    build: Callable[[TrackSpec], object]
    # model-based methods with fitted constants: fit(model, pairs, track) -> summary, instead of training
    fit: Callable[[object, list, TrackSpec], dict] | None = None
    # a method-specific training loss(model, x, y) in place of the recipe's L1/MSE on model(x)
    train_loss: Callable | None = None


_REGISTRY: dict[str, Method] = {}
_LOADED = False


def register(card: MethodCard, build: Callable[[TrackSpec], object], *, fit=None, train_loss=None) -> Method:
    if card.name in _REGISTRY:
        raise ValueError(f"method {card.name!r} is registered twice")
    method = Method(card=card, build=build, fit=fit, train_loss=train_loss)
    _REGISTRY[card.name] = method
    return method


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    from baselines import methods

    for info in sorted(pkgutil.iter_modules(methods.__path__), key=lambda m: m.name):
        importlib.import_module(f"baselines.methods.{info.name}")
    _LOADED = True


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get(name: str) -> Method:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise NotFound(f"no method named {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def for_track(name: str, track: TrackSpec) -> Method:
    """A method that serves ``track``'s kind (Invalid naming both: a reverse method on a forward track ...)."""
    from harness.errors import Invalid

    method = get(name)
    if method.card.direction != track.kind:
        raise Invalid(
            f"{name} is a {method.card.direction} method and track {track.name} is a {track.kind} track; "
            f"its methods: {', '.join(n for n in names() if get(n).card.direction == track.kind) or 'none'}"
        )
    return method


def names_for(track: TrackSpec) -> list[str]:
    """The methods that serve ``track``'s kind, by name."""
    return [n for n in names() if get(n).card.direction == track.kind]

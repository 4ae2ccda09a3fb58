"""Where a baseline's weights came from, read from the metadata its training wrote into them.

- ``trained``: a learned method trained to the end of its card's recipe (every step of it);
- ``short``: trained, but stopped by a budget before the recipe's steps (a minute's demo run):
  its cost is real, its score is not the method's, so rows show it greyed and never rank it;
- ``fitted``: a model-based method whose few constants were fitted on the train split;
- ``none``: a model-based method with nothing to learn (no weights);
- ``unknown``: weights without the harness's training record (given by hand): shown greyed too.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel

State = Literal["trained", "short", "fitted", "none", "unknown"]
SCORED: frozenset[str] = frozenset({"trained", "fitted", "none"})  # the states whose score is the method's


class Provenance(BaseModel):
    state: State
    sha256: str | None = None
    steps: int | None = None
    recipe_steps: int | None = None
    wall_s: float | None = None  # training wall-clock time
    device: str | None = None  # what it trained on
    seed: int | None = None
    budget: str | None = None  # what stopped it: "recipe", "steps 200", "minutes 1.0"
    recipe: dict | None = None
    loss_last: float | None = None

    @property
    def scored(self) -> bool:
        """Whether a score made with these weights is the method's (ranked, plotted, compared)."""
        return self.state in SCORED

    def label(self) -> str:
        """One line for people: ``trained: 2000 steps in 310 s on cpu`` / ``untrained: short of its recipe, 40 of 2000 steps``."""
        where = f" in {self.wall_s:.0f} s on {self.device}" if self.wall_s is not None and self.device else ""
        if self.state == "trained":
            return f"trained: {self.steps} step{'' if self.steps == 1 else 's'}{where}"
        if self.state == "short":
            of = f" of {self.recipe_steps}" if self.recipe_steps is not None else ""
            return f"untrained: short of its recipe, {self.steps}{of} steps{where}"
        if self.state == "fitted":
            return "fitted on the train split"
        if self.state == "none":
            return "nothing to learn"
        return "untrained: weights without a training record"


def _int(v) -> int | None:
    return int(v) if str(v).strip().isdigit() else None


def _float(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def from_metadata(meta: dict | None, sha256: str | None, *, fitted: bool, record: dict | None = None) -> Provenance:
    """The provenance of loaded weights (``meta``: their safetensors metadata; None: the method has none).

    ``record``: the training record beside them (``<name>.train.json``), which holds the wall time.
    """
    if meta is None:
        return Provenance(state="none")
    if fitted or "fitted" in meta:
        return Provenance(state="fitted", sha256=sha256, seed=_int(meta.get("seed")))
    steps, recipe_steps = _int(meta.get("steps")), _int(meta.get("recipe_steps"))
    try:
        recipe = json.loads(meta["recipe"]) if "recipe" in meta else None
    except json.JSONDecodeError:
        recipe = None
    if steps is None:
        state: State = "unknown"
    else:  # a card without recipe steps has no full training to have reached
        state = "trained" if recipe_steps is not None and steps >= recipe_steps else "short"
    return Provenance(
        state=state,
        sha256=sha256,
        steps=steps,
        recipe_steps=recipe_steps,
        wall_s=_float(meta.get("wall_s", (record or {}).get("seconds"))),
        device=meta.get("device"),
        seed=_int(meta.get("seed")),
        budget=meta.get("budget"),
        recipe=recipe,
        loss_last=_float(meta.get("loss_last")),
    )

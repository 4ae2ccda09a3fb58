"""Where a baseline's weights came from: training follows the card's recipe and records budget, steps, wall
time, device and the loss curve beside the weights; loading reads it back as the weights' provenance."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from baselines import registry
from baselines.protocol import device_name
from baselines.provenance import from_metadata
from baselines.train import record_path, train
from baselines.weights import check_safetensors
from baselines.workflow import SHIPPED, load_model, weights_path
from harness.challenge import ChallengeLayout, load_challenge
from harness.hashing import file_sha256

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny(rgb_challenge):
    layout = ChallengeLayout.under(rgb_challenge, "demo")
    return layout, load_challenge(layout.root).track("s7")


def with_recipe_steps(name: str, steps: int):
    """The registered method with its recipe's steps set to ``steps`` (a full training at tiny size)."""
    method = registry.get(name)
    recipe = method.card.recipe.model_copy(update={"steps": steps, "crop": 32, "batch": 2})
    return dataclasses.replace(method, card=method.card.model_copy(update={"recipe": recipe}))


def test_a_recipe_followed_to_its_end_is_trained_and_recorded_beside_the_weights(tiny, tmp_path):
    layout, track = tiny
    method = with_recipe_steps("mbispld", 3)
    out = tmp_path / "w.safetensors"
    result = train(method, track, layout, out, device=CPU, half=True)  # no budget: the recipe's
    assert (result.steps, result.recipe_steps, result.budget, result.seed) == (3, 3, "recipe", 0)
    meta = check_safetensors(out)
    assert meta["steps"] == "3" and meta["recipe_steps"] == "3" and meta["budget"] == "recipe"
    assert meta["device"] == device_name(CPU) and "wall_s" not in meta  # in the record: equal weights, equal bytes
    assert json.loads(meta["recipe"])["steps"] == 3
    assert {t.dtype for t in load_file(str(out)).values()} == {torch.float16}  # as the package ships them
    record = json.loads(record_path(out).read_text())
    assert record_path(out).name == "w.train.json"
    assert len(record["losses"]) == 3 and record["sha256"] == result.sha256 and record["device"] == meta["device"]
    _, model, prov = load_model("mbispld", track, out, explicit=True, device=CPU)
    assert next(model.parameters()).dtype == torch.float32  # float16 weights load into the float32 model
    assert prov.state == "trained" and prov.scored and prov.steps == 3 and prov.sha256 == result.sha256
    assert prov.wall_s == pytest.approx(record["seconds"])  # read from the record beside the weights
    assert prov.label().startswith("trained: 3 steps in ")


def test_a_budget_short_of_the_recipe_gives_untrained_weights(tiny, tmp_path):
    layout, track = tiny
    out = tmp_path / "w.safetensors"
    result = train(with_recipe_steps("mbispld", 50), track, layout, out, steps=2, device=CPU)
    assert result.budget == "steps 2" and result.steps == 2
    _, _, prov = load_model("mbispld", track, out, explicit=True, device=CPU)
    assert prov.state == "short" and not prov.scored
    assert prov.label().startswith("untrained: short of its recipe, 2 of 50 steps in ")


def test_states_of_weights_without_a_training_record():
    assert from_metadata(None, None, fitted=False).state == "none"
    assert from_metadata({"fitted": "{}"}, "ab", fitted=True).state == "fitted"
    unknown = from_metadata({"method": "unet"}, "ab", fitted=False)
    assert unknown.state == "unknown" and not unknown.scored and unknown.label().startswith("untrained")


def test_shipped_demo_weights_serve_only_the_training_data_they_saw(tiny, tmp_path):
    """The tiny test challenge is also named "demo", but its train files are not the demo's: no shipped weights."""
    layout, _track = tiny
    data_dir = layout.root.parent.parent
    for name in ("unet", "zeronoise", "mbispld"):
        path = weights_path(data_dir, "demo", name, "s7")
        assert SHIPPED not in path.parents and path == data_dir / "baselines" / "demo" / name / "s7.safetensors"


def test_shipped_weights_stand_in_where_the_train_files_are_those_they_saw(tiny, tmp_path):
    """Weights in the package's folder are used for a challenge whose manifest lists the train files they
    were trained on, and no longer once one of those files differs."""
    layout, track = tiny
    chal = tmp_path / "data" / "challenges" / "demo"
    shutil.copytree(layout.root, chal)
    train_files = sorted(p for p in chal.glob("s7/train/**/*") if p.is_file())
    lines = [f"{file_sha256(p)}  {p.relative_to(chal).as_posix()}" for p in train_files]
    (chal / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    shipped = tmp_path / "shipped"
    train(with_recipe_steps("mbispld", 1), track, ChallengeLayout.under(tmp_path / "data", "demo"),
          shipped / "mbispld" / "s7.safetensors", device=CPU)  # fmt: skip
    found = weights_path(tmp_path / "data", "demo", "mbispld", "s7", shipped_dir=shipped)
    assert found == shipped / "mbispld" / "s7.safetensors"
    assert weights_path(tmp_path / "data", "demo", "mbispld", "p20", shipped_dir=shipped).parent.parent.name == "demo"
    (chal / "MANIFEST.sha256").write_text("\n".join(lines[1:] + ["0" * 64 + "  " + lines[0].split("  ")[1]]) + "\n")
    own = weights_path(tmp_path / "data", "demo", "mbispld", "s7", shipped_dir=shipped)
    assert own == tmp_path / "data" / "baselines" / "demo" / "mbispld" / "s7.safetensors"


def test_a_track_recipe_is_the_one_training_follows_there_and_records(tiny, tmp_path):
    """A card's recipe for one track (U-Net on P20) replaces the method's there, and only there."""
    layout, track = tiny
    card = registry.get("unet").card
    assert card.recipe_for("p20") is card.track_recipes["p20"] and card.recipe_for("s7") is card.recipe
    assert card.recipe_for("p20").steps > card.recipe.steps  # P20's shifted targets need the longer schedule
    method = registry.get("mbispld")
    own = method.card.recipe.model_copy(update={"steps": 2, "crop": 32, "batch": 2, "lr": 5e-4})
    card = method.card.model_copy(update={"track_recipes": {track.name: own}})
    assert card.recipe_for("p20") == method.card.recipe  # the other track keeps the method's
    result = train(dataclasses.replace(method, card=card), track, layout, tmp_path / "w.safetensors", device=CPU)
    assert (result.steps, result.recipe_steps, result.budget) == (2, 2, "recipe")
    meta = check_safetensors(tmp_path / "w.safetensors")
    assert json.loads(meta["recipe"]) == own.model_dump(mode="json") and meta["crop"] == "32"

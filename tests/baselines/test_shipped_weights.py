"""The trained demo weights the package ships: small, float16, trained to the end of the card's recipe for
their track as it stands (so `harness baselines train` reproduces them), with their record and sha256 beside them."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from baselines import registry
from baselines.provenance import from_metadata
from baselines.train import record_path
from baselines.weights import check_safetensors
from baselines.workflow import SHIPPED
from harness.hashing import file_sha256

SHIPPED_FILES = {"fwdnet": ("fwd",)} | {
    m: ("s7", "p20") for m in ("mbispld", "unet", "zeronoise")
}  # what beat its demo targets


def test_the_shipped_set_is_what_the_package_holds():
    held = {p.relative_to(SHIPPED).as_posix() for p in SHIPPED.glob("*/*.safetensors")}
    assert held == {f"{m}/{t}.safetensors" for m, tracks in SHIPPED_FILES.items() for t in tracks}


@pytest.mark.parametrize("name, track", [(m, t) for m, tracks in SHIPPED_FILES.items() for t in tracks])
def test_shipped_weights_are_small_float16_and_trained_by_the_cards_recipe(name, track):
    path = SHIPPED / name / f"{track}.safetensors"
    assert path.stat().st_size < 5 << 20
    assert {t.dtype for t in load_file(str(path)).values()} == {torch.float16}
    assert (path.parent / f"{path.name}.sha256").read_text().split()[0] == file_sha256(path)
    meta = check_safetensors(path)
    prov = from_metadata(meta, file_sha256(path), fitted=False)
    recipe = registry.get(name).card.recipe_for(track)
    assert prov.state == "trained" and prov.steps == recipe.steps and prov.budget == "recipe"
    assert prov.recipe == recipe.model_dump(mode="json")  # the card's recipe for the track is the one they followed
    assert meta["method"] == name and meta["track"] == track and len(meta["train_data"]) == 64
    record = json.loads(record_path(path).read_text())
    assert (
        record["sha256"] == file_sha256(path)
        and len(record["losses"]) == prov.steps
        and record["loss_last"] < record["loss_first"]
    )

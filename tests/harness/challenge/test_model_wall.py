"""The wall-clock limit of a model run: the split's own, or sized from its inputs, capped by the service."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from harness.challenge import ChallengeLayout, SplitSpec, load_challenge, save_challenge
from harness.challenge.wall import WALL_BASE_S, WALL_PER_PATCH_S, model_wall_s, patch_inputs
from tests.support import build_rgb_challenge


@pytest.fixture(scope="module")
def challenge(tmp_path_factory):
    root = build_rgb_challenge(tmp_path_factory.mktemp("wall"))
    return ChallengeLayout.under(root, "demo")


def test_the_default_is_sized_from_the_splits_inputs(challenge):
    spec = load_challenge(challenge.root)
    track = spec.track("s7")
    patches, full = challenge.split("s7", "test1"), challenge.split("s7", "test2")
    assert patch_inputs(track, patches) == 3  # three RGB patches
    assert patch_inputs(track, full) == 48  # one full image, cut into the 6 x 8 grid
    assert model_wall_s(track, track.split("test1"), patches, 3600) == WALL_BASE_S + 3 * WALL_PER_PATCH_S
    assert model_wall_s(track, track.split("test2"), full, 3600) == WALL_BASE_S + 48 * WALL_PER_PATCH_S
    assert model_wall_s(track, track.split("test2"), full, 60) == 60  # the service's cap holds


def test_a_splits_own_limit_is_read_from_challenge_toml_and_capped(challenge, tmp_path):
    spec = load_challenge(challenge.root)
    spec.track("s7").split("test1").model_wall_s = 2.5
    save_challenge(spec, tmp_path)
    assert "model_wall_s = 2.5" in (tmp_path / "challenge.toml").read_text()
    track = load_challenge(tmp_path).track("s7")
    files = challenge.split("s7", "test1")
    assert model_wall_s(track, track.split("test1"), files, 3600) == 2.5
    assert model_wall_s(track, track.split("test1"), files, 1) == 1


@pytest.mark.parametrize("bad", [0, -5, 10**6, "soon"])
def test_a_wrong_limit_is_refused_naming_the_field(bad):
    with pytest.raises(ValidationError) as err:
        SplitSpec(name="test1", model_wall_s=bad)
    assert err.value.errors()[0]["loc"] == ("model_wall_s",)

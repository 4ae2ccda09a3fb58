"""A split's reference alignment: made from its own files, stored with its sha256, refused when changed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.ndimage import shift as nd_shift

from harness.alignment.manifest import align_split, read_manifest, reference_plan, write_manifest
from harness.challenge import ChallengeLayout
from harness.hashing import sidecar_path
from tests.harness.alignment.scenes import centre, packed, scene, srgb_png
from tests.support import save

SHIFTS = {"a": (0.6, -1.1), "b": (-1.8, 0.3)}


@pytest.fixture
def split(tmp_path):
    where = ChallengeLayout(tmp_path / "c").split("t", "test1")
    where.gt.mkdir(parents=True)
    where.rgb.mkdir(parents=True)
    for k, (stem, s) in enumerate(SHIFTS.items()):
        big = scene(70 + k)
        save(where.gt_of(stem), packed(centre(big)))
        where.rgb_file(stem, ".png").write_bytes(srgb_png(centre(nd_shift(big, s, order=3, mode="nearest"))))
    save(where.gt_of("flat"), np.full((64, 64, 4), 300, dtype=np.uint16))  # nothing to align by
    where.rgb_file("flat", ".png").write_bytes(srgb_png(np.full((64, 64), 50.0)))
    return where


def test_manifest_round_trip_and_exclusion(split):
    manifest = align_split(split, "translation")
    assert [i.name for i in manifest.images] == ["a", "b", "flat"] and manifest.excluded == ["flat"]
    assert manifest.margin == 2  # the larger shift is 1.8 px
    path = write_manifest(split, manifest)
    assert path == split.alignment and sidecar_path(path).read_text().split()[1] == "alignment.json"
    plan = reference_plan(split)
    assert plan.source == "reference" and plan.included == {"a", "b"} and plan.margin == 2
    for stem, s in SHIFTS.items():
        assert np.abs(np.asarray(plan.transforms[stem].shift) - s).max() <= 0.05
    assert read_manifest(split)[0] == manifest
    flat = next(i.transform for i in manifest.images if i.name == "flat")
    assert flat.cc is None and "NaN" not in path.read_text()  # plain JSON, as PostgreSQL's JSON columns need


def test_a_changed_manifest_is_refused_naming_the_file(split):
    write_manifest(split, align_split(split, "translation"))
    doc = json.loads(split.alignment.read_text())
    doc["images"][0]["transform"]["matrix"][0][2] += 3.0  # someone moves an image by hand
    split.alignment.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"alignment\.json: sha256 .* does not match alignment\.json\.sha256"):
        reference_plan(split)


def test_no_manifest_is_no_plan_and_a_wrong_input_is_named(split, tmp_path):
    assert reference_plan(split) is None
    split.rgb_file("b", ".png").write_bytes(srgb_png(np.ones((60, 64))))
    with pytest.raises(ValueError, match=r"b\.png: input is 120x128, expected twice its ground truth \(128x128\)"):
        align_split(split, "affine")

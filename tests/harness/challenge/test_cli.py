"""`harness challenge` commands: help, list, progress, exit codes; the example bundle end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.bundles.build import create_challenge
from harness.bundles.check import check_challenge
from harness.challenge import ChallengeLayout, load_challenge
from harness.cli.app import app
from harness.npyio import read_raw

runner = CliRunner()


@pytest.mark.parametrize("command", ["create", "check", "list", "example"])
def test_every_command_has_help(command):
    res = runner.invoke(app, ["challenge", command, "--help"])
    assert res.exit_code == 0 and "Usage" in res.output


def test_list_shows_every_challenge(aim):
    assert create_challenge(aim.root, aim.data_dir).ok
    assert create_challenge(aim.root, aim.data_dir, name="second").ok
    (aim.data_dir / "challenges" / ".third.x.partial").mkdir()  # a build in progress is not a challenge
    res = runner.invoke(app, ["challenge", "list", "--data-dir", str(aim.data_dir), "--json"])
    assert res.exit_code == 0, res.output
    entries = json.loads(res.stdout)
    assert [e["name"] for e in entries] == ["aim2022", "second"]
    s7 = entries[0]["tracks"][0]
    assert s7["name"] == "s7" and [(s["name"], s["images"], s["full"]) for s in s7["splits"]] == [
        ("train", 6, 0),
        ("test1", 4, 0),
        ("test2", 12, 2),
    ]
    text = runner.invoke(app, ["challenge", "list", "--data-dir", str(aim.data_dir)])
    assert text.exit_code == 0 and "aim2022" in text.output and "second" in text.output
    (aim.data_dir / "challenges" / "broken").mkdir()
    (aim.data_dir / "challenges" / "broken" / "challenge.toml").write_text("title = [")
    res = runner.invoke(app, ["challenge", "list", "--data-dir", str(aim.data_dir), "--json"])
    assert res.exit_code == 1
    assert [bool(e["error"]) for e in json.loads(res.stdout)] == [False, True, False]  # aim2022, broken, second


def test_check_of_an_unknown_challenge_is_a_usage_error(tmp_path):
    res = runner.invoke(app, ["challenge", "check", "nope", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "no challenge 'nope'" in res.output


def test_progress_reports_each_stage(aim):
    seen: dict[str, tuple[int, int | None]] = {}
    report = create_challenge(
        aim.root, aim.data_dir, progress=lambda stage, done, total: seen.__setitem__(stage, (done, total))
    )
    assert report.ok
    assert seen["checking"] == (6 + 4 + 2 + 6 + 4, 6 + 4 + 2 + 6 + 4)
    assert seen["laying out"][0] == seen["laying out"][1]
    n_files = len(ChallengeLayout(Path(report.path)).manifest.read_text().splitlines())
    assert seen["hashing"] == (n_files, n_files)


def test_the_demo_challenge_checks_clean(demo):
    """`check` reads generated challenges too (their ground truth is not private: a warning)."""
    report = check_challenge(demo)
    assert report.ok, report.problems
    assert any("readable by other users" in w for w in report.warnings)


@pytest.mark.slow
def test_example_bundle_goes_through_create_and_check(tmp_path):
    out = tmp_path / "bundle"
    env = {**os.environ, "HARNESS_DATA_DIR": str(tmp_path / "var")}
    run = [sys.executable, "-m", "harness", "challenge"]
    res = subprocess.run(
        [*run, "example", str(out), "--scale", "0.25"], capture_output=True, text=True, env=env, timeout=900
    )
    assert res.returncode == 0, res.stderr
    assert (out / "challenge.toml").is_file() and (out / "data-p20" / "train").is_dir()
    train = sorted(p.name for p in (out / "data-s7" / "train").iterdir())
    assert train and all(p.split(".")[0].count("_") == 1 for p in train)  # AIM names: <image>_<patch>
    res = subprocess.run([*run, "create", str(out)], capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run([*run, "check", "example", "--json"], capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["ok"]
    root = tmp_path / "var" / "challenges" / "example"
    spec = load_challenge(root)
    s7, p20 = spec.track("s7"), spec.track("p20")
    assert (s7.patch, s7.grid, p20.patch, p20.grid, p20.black, p20.white) == (
        252,
        (2, 2),
        248,
        (2, 2),
        60,
        1020,
    )  # scale 0.25
    test2 = ChallengeLayout(root).split("p20", "test2")
    assert len(test2.image_names()) == 4 and read_raw(test2.gt_of(test2.image_names()[0])).shape == (248, 248, 4)
    assert p20.split("test2").visibility == "hidden" and p20.split("test1").primary_metric == "ssim"

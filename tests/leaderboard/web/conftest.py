"""A real service on a challenge made by `harness challenge create` from an AIM 2022 bundle, for the data tests.

Splits, by what a participant may download now:
- s7 ``train`` (pairs), ``test1`` (public, open until 2099), ``test2`` (hidden, open: no dates, full
  resolution), ``test3`` (public, opens in 2099: listed, nothing given out);
- p20 ``train``, ``test1`` (hidden, closed in 2022: inputs refused), ``test2`` (hidden, opens in 2099: unknown).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.challenge import ChallengeLayout
from harness.cli.app import app as offline_app
from leaderboard.launch import start_server, stop_server
from tests.harness.challenge.conftest import AimBundle, make_aim_bundle
from tests.support import CPU_ONLY, env_for

ORG = "data-organiser-token-of-the-test-service"  # at least 32 characters, or the service refuses to start
NAME = "aim2022"

S7_TEST1 = 'primary_metric = "psnr"\nopens = 2022-07-01T00:00:00Z\ncloses = 2022-08-01T00:00:00Z'
P20_TEST1 = 'primary_metric = "ssim"\nrgb = "data-p20/val_rgb"'
CLOSED = "2022-08-01T00:00:00Z"


def make_data_bundle(tmp: Path) -> AimBundle:
    """The AIM test bundle with the split dates above (same files, more splits over them)."""
    bundle = make_aim_bundle(tmp)
    spec = bundle.spec.read_text()
    assert S7_TEST1 in spec and P20_TEST1 in spec
    spec = spec.replace(S7_TEST1, S7_TEST1.replace("2022-08-01", "2099-01-01"))
    spec = spec.replace(
        P20_TEST1, f'primary_metric = "ssim"\nvisibility = "hidden"\ncloses = {CLOSED}\nrgb = "data-p20/val_rgb"'
    )
    for track in ("s7", "p20"):  # the upcoming splits get copies of test1's files (no two splits share a folder)
        shutil.copytree(bundle.root / f"data-{track}" / "val_rgb", bundle.root / f"data-{track}" / "later_rgb")
        shutil.copytree(bundle.organiser / f"{track}-test1-gt", bundle.organiser / f"{track}-later-gt")
    s7_test3 = (
        '\n[[tracks.splits]]\nname = "test3"\nopens = 2099-01-01T00:00:00Z\nrgb = "data-s7/later_rgb"\n'
        f'gt = "{bundle.organiser}/s7-later-gt"\n'
    )
    p20_test2 = (
        '\n[[tracks.splits]]\nname = "test2"\nvisibility = "hidden"\nopens = 2099-01-01T00:00:00Z\n'
        f'rgb = "data-p20/later_rgb"\ngt = "{bundle.organiser}/p20-later-gt"\n'
    )
    p20_at = spec.index('[[tracks]]\nname = "p20"')
    spec = spec[:p20_at].rstrip("\n") + "\n" + s7_test3 + "\n" + spec[p20_at:].rstrip("\n") + "\n" + p20_test2
    bundle.spec.write_text(spec)
    return bundle


@dataclass
class DataService:
    base: str
    bundle: AimBundle
    data_dir: Path

    @property
    def layout(self) -> ChallengeLayout:
        return ChallengeLayout.under(self.data_dir, NAME)

    def gt_files(self) -> list[Path]:
        """Every ground-truth file the challenge holds (both tracks, every split, whole images too)."""
        return sorted(p for p in self.layout.root.rglob("*.npy") if "gt" in p.relative_to(self.layout.root).parts)


@pytest.fixture(scope="module")
def data_service(tmp_path_factory) -> DataService:
    tmp = tmp_path_factory.mktemp("data")
    bundle = make_data_bundle(tmp)
    res = CliRunner().invoke(offline_app, ["challenge", "create", str(bundle.root), "--data-dir", str(bundle.data_dir)])
    assert res.exit_code == 0, res.output
    env = env_for(bundle.data_dir, ORG, queues=CPU_ONLY)
    env["HARNESS_CHALLENGE"] = NAME
    proc, base = start_server(env, tmp / "server.log")
    yield DataService(base, bundle, bundle.data_dir)
    stop_server(proc, wait=False)

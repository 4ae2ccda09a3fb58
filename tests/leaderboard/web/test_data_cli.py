"""A participant's path with the CLI against a real service made by `harness challenge create`:
`harness data download` the test1 inputs, predict them with the trivial predictor, `harness submit`, and
the server's scores equal `harness score` run offline against the organiser's ground truth. And the
download resumes a partial file, refuses a corrupt one, and says why a split gives nothing out."""

from __future__ import annotations

import hashlib
import json

import httpx
from typer.testing import CliRunner

from harness_client.cli import app
from tests.leaderboard.web.test_data_downloads import archive_of, ready_listing

runner = CliRunner()


def cli(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env)


def download(base: str, out, *extra: str):
    res = cli("data", "download", "--server", base, "--track", "s7", "--out", str(out), "--json", *extra)
    return res, json.loads(res.stdout.strip().splitlines()[-1])


def test_download_predict_submit_scores_like_offline(data_service, tmp_path):
    base, bundle = data_service.base, data_service.bundle
    res, doc = download(base, tmp_path / "dl", "--split", "test1")
    assert res.exit_code == 0, res.output
    assert doc["ok"] and doc["kind"] == "inputs" and doc["sha256"] == doc["expected_sha256"] and doc["files"] == 4
    split_dir = tmp_path / "dl" / "s7" / "test1"
    originals = sorted((bundle.root / "data-s7" / "val_rgb").iterdir())
    assert sorted(p.name for p in (split_dir / "rgb").iterdir()) == [p.name for p in originals]
    assert all((split_dir / "rgb" / p.name).read_bytes() == p.read_bytes() for p in originals)

    preds = tmp_path / "preds"
    assert cli("data", "predict-naive", str(split_dir), "--out", str(preds)).exit_code == 2  # levels are needed
    res = cli("data", "predict-naive", str(split_dir), "--black", "0", "--white", "1023", "--out", str(preds))
    assert res.exit_code == 0, res.output
    assert sorted(p.stem for p in preds.glob("*.npy")) == [p.stem for p in originals]

    res = cli("team", "create", "participant", "--server", base, "--quiet")
    assert res.exit_code == 0, res.output
    token = res.stdout.strip()
    res = cli("submit", str(preds), "--token", token, "--track", "s7", "--split", "test1", "--server", base, "--json")
    assert res.exit_code == 0, res.output
    online = json.loads(res.stdout)
    assert online["status"] == "scored", online
    res = cli("score", str(preds), str(bundle.organiser / "s7-test1-gt"), "--json")
    assert res.exit_code == 0, res.output
    offline = json.loads(res.stdout)
    scores = online["scores"]["test1"]
    assert (scores["psnr"], scores["ssim"], scores["n_images"]) == (
        offline["psnr"],
        offline["ssim"],
        offline["n_images"],
    )
    assert offline["n_images"] == 4


def test_the_sample_submission_goes_through_as_it_is(data_service, tmp_path):
    base = data_service.base
    res, doc = download(base, tmp_path, "--split", "test2", "--kind", "sample")
    assert res.exit_code == 0 and doc["ok"], res.output
    assert sorted(p.name for p in (tmp_path / "s7" / "test2-sample").iterdir())[-1] == "readme.txt"
    token = cli("team", "create", "sampler", "--server", base, "--quiet").stdout.strip()
    res = cli("submit", doc["path"], "--token", token, "--track", "s7", "--split", "test2", "--server", base, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["status"] == "scored"


def test_harness_server_names_the_server(data_service, tmp_path):
    res = cli(
        "data",
        "download",
        "--track",
        "s7",
        "--split",
        "train",
        "--out",
        str(tmp_path),
        "--json",
        env={"HARNESS_SERVER": data_service.base},
    )
    doc = json.loads(res.stdout)
    assert res.exit_code == 0 and doc["ok"] and doc["kind"] == "train", res.output
    assert len(list((tmp_path / "s7" / "train" / "raw").glob("*.npy"))) == 6
    res, doc = download(data_service.base, tmp_path, "--split", "train")  # downloaded and checked before
    assert res.exit_code == 0 and doc["cached"] and doc["resumed_from"] == 0


def test_a_partial_download_resumes_and_a_corrupt_one_is_refused(data_service, tmp_path):
    base = data_service.base
    entry = archive_of(ready_listing(base, "s7"), "test2", "inputs")
    whole = httpx.get(base + entry["url"]).content
    dest = tmp_path / entry["filename"]
    part = dest.with_name(dest.name + ".part")
    half = len(whole) // 2

    part.write_bytes(whole[:half])  # an interrupted download
    res, doc = download(base, tmp_path, "--split", "test2", "--no-extract")
    assert res.exit_code == 0 and doc["ok"], res.output
    assert doc["resumed_from"] == half and dest.read_bytes() == whole and not part.exists()
    assert "extracted" not in doc

    dest.unlink()
    part.write_bytes(b"\0" * half)  # a part whose bytes went bad: the sha256 says so
    res, doc = download(base, tmp_path, "--split", "test2")
    assert res.exit_code == 1 and not doc["ok"] and "sha256 mismatch" in doc["error"]
    assert doc["sha256"] != doc["expected_sha256"] == hashlib.sha256(whole).hexdigest()
    assert not dest.exists() and not part.exists()  # removed: the next try starts over
    res, doc = download(base, tmp_path, "--split", "test2")
    assert res.exit_code == 0 and doc["ok"] and doc["resumed_from"] == 0

    dest.unlink()
    part.write_bytes(whole[:half])
    part.with_name(part.name + ".etag").write_text('"an-archive-since-rebuilt"')
    res, doc = download(base, tmp_path, "--split", "test2")  # If-Range fails: the whole archive again
    assert res.exit_code == 0 and doc["ok"] and doc["resumed_from"] == 0


def test_refusals_name_their_reason(data_service, tmp_path):
    base = data_service.base
    res, doc = download(base, tmp_path, "--split", "test3")
    assert res.exit_code == 1 and "403" in doc["error"] and "opens at" in doc["error"]
    res = cli("data", "download", "--server", base, "--track", "p20", "--split", "test1", "--json")
    doc = json.loads(res.stdout)
    assert res.exit_code == 1 and "403" in doc["error"] and "closed" in doc["error"]
    res, doc = download(base, tmp_path, "--split", "nope")
    assert res.exit_code == 1 and "404" in doc["error"]
    res, doc = download(base, tmp_path, "--split", "test1", "--kind", "train")
    assert res.exit_code == 1 and "404" in doc["error"]
    assert cli("data", "download", "--server", base, "--track", "s7", "--split", "test1", "--kind", "gt").exit_code == 2
    res, doc = download("http://127.0.0.1:9", tmp_path, "--split", "test1")
    assert res.exit_code == 1 and "cannot reach" in doc["error"]
    assert not list(tmp_path.glob("*.zip*"))


def test_an_archive_not_built_yet_is_checked_against_the_listing_once_built(data_service, tmp_path):
    built = data_service.data_dir / "downloads" / "aim2022" / "p20"
    ready_listing(data_service.base, "p20")
    for p in built.glob("train-train.*"):
        p.unlink()  # as if the archive had never been built
    entry = archive_of(httpx.get(f"{data_service.base}/api/data/p20").json(), "train", "train")
    assert not entry["ready"] and entry["sha256"] is None
    res = cli(
        "data",
        "download",
        "--server",
        data_service.base,
        "--track",
        "p20",
        "--split",
        "train",
        "--out",
        str(tmp_path),
        "--json",
    )
    doc = json.loads(res.stdout)
    assert res.exit_code == 0 and doc["ok"] and doc["expected_sha256"] == doc["sha256"], res.output
    assert len(list((tmp_path / "p20" / "train" / "rgb").iterdir())) == 6

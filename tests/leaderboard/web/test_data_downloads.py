"""The Data API on a running service: what is listed, what the archives hold, Range requests, and that no
route, however the path is spelt, gives out a ground-truth byte."""

from __future__ import annotations

import hashlib
import http.client
import io
import time
import zipfile
from urllib.parse import urlsplit

import httpx
import numpy as np

from harness.challenge import load_challenge
from harness.readme import parse_readme
from harness.rgbio import read_rgb
from harness.sim.naive import naive_raw
from tests.leaderboard.web.conftest import NAME

NPY_MAGIC = b"\x93NUMPY"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ready_listing(base: str, track: str, timeout: float = 60) -> dict:
    """The listing once every archive in it is built (they are built on a background thread at start-up)."""
    deadline = time.monotonic() + timeout
    while True:
        doc = httpx.get(f"{base}/api/data/{track}").json()
        if all(a["ready"] for s in doc["splits"] for a in s["archives"]) or time.monotonic() > deadline:
            return doc
        time.sleep(0.1)


def archive_of(doc: dict, split: str, kind: str) -> dict:
    return next(a for s in doc["splits"] if s["name"] == split for a in s["archives"] if a["kind"] == kind)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {m.filename: zf.read(m) for m in zf.infolist()}


def test_the_listing_shows_what_a_participant_may_see(data_service):
    s7 = ready_listing(data_service.base, "s7")
    splits = {s["name"]: s for s in s7["splits"]}
    assert list(splits) == ["train", "test1", "test2", "test3"]
    assert [splits[n]["state"] for n in splits] == ["open", "open", "open", "upcoming"]
    assert splits["test3"]["archives"] == []  # listed, nothing given out before it opens
    assert [a["kind"] for a in splits["test1"]["archives"]] == ["inputs", "sample"]
    assert [a["kind"] for a in splits["train"]["archives"]] == ["train"]
    assert (splits["test2"]["visibility"], splits["test2"]["images"], splits["test2"]["full_images"]) == (
        "hidden",
        12,
        2,
    )
    inputs = sorted((data_service.bundle.root / "data-s7" / "val_rgb").iterdir())
    assert splits["test1"]["images"] == len(inputs) == 4
    assert splits["test1"]["input_bytes"] == sum(p.stat().st_size for p in inputs)
    entry = archive_of(s7, "test1", "inputs")
    assert entry["ready"] and entry["files"] == 4 and entry["content_bytes"] == splits["test1"]["input_bytes"]
    fmt = s7["submission_format"]
    assert (fmt["dtype"], fmt["shape"], fmt["max_value"], fmt["channels"]) == (
        "uint16",
        [16, 16, 4],
        1024,
        ["R", "Gr", "Gb", "B"],
    )
    assert fmt["readme_keys"][0] == "Runtime per image [s]" and not parse_readme(fmt["readme_example"]).warnings
    # p20: test1 is hidden and closed, test2 hidden and not open yet: neither is listed
    p20 = ready_listing(data_service.base, "p20")
    assert [s["name"] for s in p20["splits"]] == ["train"]


def test_the_inputs_zip_holds_exactly_the_split_rgb_files(data_service):
    base = data_service.base
    doc = ready_listing(base, "s7")
    for split, folders in (("test1", {"rgb": "val_rgb"}), ("test2", {"full/rgb": "test2_full_rgb"})):
        entry = archive_of(doc, split, "inputs")
        r = httpx.get(base + entry["url"])
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert sha(r.content) == entry["sha256"] == r.headers["x-content-sha256"]
        assert r.headers["etag"] == f'"{entry["sha256"]}"' and len(r.content) == entry["size"]
        assert f'filename="{NAME}-s7-{split}-inputs.zip"' in r.headers["content-disposition"]
        got = members(r.content)
        served = data_service.layout.split("s7", split)
        expected = {served.member_name(p): p for p in served.input_files()}
        assert set(got) == set(expected)
        assert all(sha(got[n]) == sha(expected[n].read_bytes()) for n in got)
        for prefix, folder in folders.items():  # the organiser's own files, byte for byte
            for p in (data_service.bundle.root / "data-s7" / folder).iterdir():
                assert sha(got[f"{prefix}/{p.name}"]) == sha(p.read_bytes())
        assert all(n.endswith((".jpg", ".png")) for n in got) and NPY_MAGIC not in r.content
    assert len(members(httpx.get(base + archive_of(doc, "test2", "inputs")["url"]).content)) == 12 + 2


def test_the_train_zip_holds_the_pairs(data_service):
    doc = ready_listing(data_service.base, "s7")
    got = members(httpx.get(data_service.base + archive_of(doc, "train", "train")["url"]).content)
    train = data_service.bundle.root / "data-s7" / "train"
    want = {("rgb/" if p.suffix == ".jpg" else "raw/") + p.name: p for p in train.iterdir()}
    assert set(got) == set(want) and len(want) == 12
    assert all(got[n] == want[n].read_bytes() for n in want)


def test_the_sample_is_the_trivial_predictor_with_a_filled_readme(data_service):
    doc = ready_listing(data_service.base, "s7")
    got = members(httpx.get(data_service.base + archive_of(doc, "test1", "sample")["url"]).content)
    inputs = sorted((data_service.bundle.root / "data-s7" / "val_rgb").iterdir())
    assert set(got) == {f"{p.stem}.npy" for p in inputs} | {"readme.txt"}
    track = load_challenge(data_service.layout.root).track("s7")
    for p in inputs:
        arr = np.load(io.BytesIO(got[f"{p.stem}.npy"]), allow_pickle=False)
        assert arr.dtype == np.uint16 and arr.shape == (16, 16, 4)
        np.testing.assert_array_equal(arr, naive_raw(read_rgb(p), track))
    readme = parse_readme(got["readme.txt"])
    assert not readme.warnings
    assert readme.info.device == "cpu" and readme.info.extra_data is False and readme.info.runtime_s > 0
    assert "naive.py" in readme.info.description


def test_a_range_request_resumes_with_the_right_bytes(data_service):
    base = data_service.base
    entry = archive_of(ready_listing(base, "s7"), "test2", "inputs")
    url = base + entry["url"]
    whole = httpx.get(url)
    assert whole.headers["accept-ranges"] == "bytes"
    half = len(whole.content) // 2
    r = httpx.get(url, headers={"Range": f"bytes={half}-"})
    assert r.status_code == 206 and r.content == whole.content[half:]
    assert r.headers["content-range"] == f"bytes {half}-{len(whole.content) - 1}/{len(whole.content)}"
    r = httpx.get(url, headers={"Range": "bytes=10-19", "If-Range": whole.headers["etag"]})
    assert r.status_code == 206 and r.content == whole.content[10:20]
    r = httpx.get(url, headers={"Range": f"bytes={half}-", "If-Range": '"an-older-archive"'})
    assert r.status_code == 200 and r.content == whole.content  # the archive changed: the whole of it again
    assert httpx.get(url, headers={"Range": f"bytes={len(whole.content) + 5}-"}).status_code == 416
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(whole.content)) and not head.content


def test_refusals_by_split_state(data_service):
    base = data_service.base
    for kind in ("inputs", "sample"):
        r = httpx.get(f"{base}/api/data/p20/test1/{kind}.zip")  # hidden, closed
        assert r.status_code == 403 and "closed" in r.json()["detail"]
        assert httpx.get(f"{base}/api/data/s7/test3/{kind}.zip").status_code == 403  # public, not open yet
        r = httpx.get(f"{base}/api/data/p20/test2/{kind}.zip")  # hidden, not open yet: unknown
        assert r.status_code == 404 and "test2" in r.json()["detail"]
    assert httpx.get(f"{base}/api/data/s7/test1/train.zip").status_code == 404  # a test split has no pairs
    assert httpx.get(f"{base}/api/data/s7/train/inputs.zip").status_code == 404
    assert httpx.get(f"{base}/api/data/nope").status_code == 404
    assert httpx.get(f"{base}/data/nope").status_code == 404


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """GET with the request target sent exactly as written (no client-side normalisation or quoting)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def gt_targets(svc) -> list[str]:
    """Every way we could think of to spell a ground-truth file's path, for every such file."""
    targets = []
    for gt in svc.gt_files():
        in_challenge = gt.relative_to(svc.layout.root).as_posix()  # s7/test1/gt/10_0.npy
        in_data = gt.relative_to(svc.data_dir).as_posix()  # challenges/aim2022/s7/test1/gt/10_0.npy
        track, split = in_challenge.split("/")[:2]
        up = "../" * 6
        enc = "%2e%2e%2f" * 6
        targets += [
            f"/api/data/{in_challenge}",
            f"/data/{in_challenge}",
            f"/static/{in_challenge}",
            f"/{in_data}",
            f"/{in_challenge}",
            f"/downloads/{in_challenge}",
            f"/static/{up}{in_data}",
            f"/static/{enc}{in_data}",
            f"/static/{enc.upper()}{in_data}",
            f"/static/{'%252e%252e%252f' * 6}{in_data}",
            f"/static/{'..%5c' * 6}{in_data}",
            f"/static/..%2f..%2f..%2f..%2f{in_data}",
            f"/api/data/{track}/{split}/{up}{in_data}",
            f"/api/data/{track}/{split}/{enc}{in_data}",
            f"/api/data/{track}/{split}/inputs.zip/../gt/{gt.name}",
            f"/api/data/{track}/{split}%2fgt/inputs.zip",
            f"/api/data/{track}/{split}/gt/{gt.name}",
            f"/api/data/{track}/{split}/{gt.stem}.zip",
            f"/data/{track}/{up}{in_data}",
            f"/data/{track}/{enc}{in_data}",
            f"/data/{track}/{split}/gt/{gt.name}",
        ]
        for kind in ("gt", "GT", "raw", "full", "truth", "ground-truth", "gt%2f..", "..%2fgt"):
            targets.append(f"/api/data/{track}/{split}/{kind}.zip")
    return sorted(set(targets))


def test_no_route_gives_out_ground_truth(data_service):
    base = data_service.base
    assert len(data_service.gt_files()) >= 4 + 12 + 2 + 4 + 4
    targets = gt_targets(data_service)
    answers = {t: raw_get(base, t) for t in targets}
    wrong = {t: status for t, (status, _) in answers.items() if status != 404}
    assert not wrong, wrong
    assert not [t for t, (_, body) in answers.items() if NPY_MAGIC in body]
    # and no archive given out holds a ground-truth file's bytes
    gt_hashes = {sha(p.read_bytes()) for p in data_service.gt_files()}
    for track in ("s7", "p20"):
        for s in ready_listing(base, track)["splits"]:
            for a in s["archives"]:
                got = members(httpx.get(base + a["url"]).content)
                assert not gt_hashes & {sha(v) for v in got.values()}, a["url"]


def test_the_api_is_documented(data_service):
    doc = httpx.get(f"{data_service.base}/openapi.json").json()
    assert "/api/data/{track}" in doc["paths"]
    op = doc["paths"]["/api/data/{track}/{split}/{kind}.zip"]["get"]
    kind = next(p for p in op["parameters"] if p["name"] == "kind")
    assert kind["schema"]["enum"] == ["inputs", "train", "sample"]
    assert {"200", "206", "403", "404"} <= set(op["responses"])

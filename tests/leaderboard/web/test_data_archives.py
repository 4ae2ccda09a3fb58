"""The archives behind the Data page, in-process: built once (also when requests race), rebuilt when a
split's files change, written atomically, never holding ground truth; and who is given what, when."""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from harness.challenge import ChallengeLayout
from harness.errors import Forbidden, NotFound
from leaderboard.services.challenge import Challenge
from leaderboard.services.downloads import Downloads
from leaderboard.services.zip_cache import TMP, ArchiveCache, Member
from tests.support import build_rgb_challenge


@pytest.fixture
def downloads(tmp_path) -> Downloads:
    data = build_rgb_challenge(tmp_path / "var")
    return Downloads(data / "downloads" / "demo", Challenge(ChallengeLayout.under(data, "demo")))


def with_dates(d: Downloads, track: str, split: str, **dates) -> None:
    """Change a split's dates (and visibility) in the served spec."""
    spec = d.challenge.spec.model_copy(deep=True)
    target = spec.track(track).split(split)
    for k, v in dates.items():
        setattr(target, k, v)
    d.challenge.spec = spec


def test_an_archive_is_built_once_and_kept(downloads):
    first = downloads.archive("s7", "test1", "inputs")
    mtime = first.path.stat().st_mtime_ns
    again = downloads.archive("s7", "test1", "inputs")
    assert again == first and first.path.stat().st_mtime_ns == mtime
    assert first.path == downloads.cache.root / "s7" / "test1-inputs.zip"
    assert first.path.with_name("test1-inputs.zip.sha256").read_text() == f"{first.sha256}  test1-inputs.zip\n"
    assert hashlib.sha256(first.path.read_bytes()).hexdigest() == first.sha256
    with zipfile.ZipFile(first.path) as zf:
        assert zf.namelist() == ["rgb/0.jpg", "rgb/1.jpg", "rgb/2.jpg"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert not list(downloads.cache.root.rglob(f"{TMP}*"))


def test_the_same_files_give_the_same_bytes(tmp_path):
    shas = []
    for name in ("a", "b"):
        data = build_rgb_challenge(tmp_path / name)
        d = Downloads(data / "downloads" / "demo", Challenge(ChallengeLayout.under(data, "demo")))
        shas.append(d.archive("s7", "test2", "inputs").sha256)
    assert shas[0] == shas[1]


def test_a_changed_file_rebuilds_the_archive(downloads, monkeypatch):
    before = downloads.archive("s7", "test1", "inputs")
    listed = downloads.listing("s7").splits[1].archives[0]
    assert listed.ready and listed.sha256 == before.sha256
    files = downloads.challenge.files("s7", "test1")
    jpg = files.rgb_of("0")
    tmp = jpg.with_name("new.tmp")
    tmp.write_bytes(jpg.read_bytes() + b"\0")  # JPEG readers ignore trailing bytes; the archive may not
    tmp.replace(jpg)  # replaced the usual way (a rename): noticed at once
    stale = downloads.listing("s7").splits[1].archives[0]
    assert stale.sha256 is None or stale.sha256 != before.sha256  # not served as current any more
    after = downloads.archive("s7", "test1", "inputs")
    assert after.sha256 != before.sha256 and after.content_bytes == before.content_bytes + 1
    (files.rgb / "3.jpg").write_bytes(jpg.read_bytes())  # a new input: its folder changes, noticed at once
    grown = downloads.archive("s7", "test1", "inputs")
    assert grown.files == 4 and grown.content_bytes == after.content_bytes + jpg.stat().st_size
    with open(jpg, "ab") as f:  # edited in place: no folder changes, the next full listing sees it
        f.write(b"\0")
    assert downloads.archive("s7", "test1", "inputs") == grown  # within RESCAN_S of the last listing
    monkeypatch.setattr("leaderboard.services.downloads.RESCAN_S", 0.0)
    assert downloads.archive("s7", "test1", "inputs").content_bytes == grown.content_bytes + 1


def test_racing_requests_build_once(downloads):
    built = []
    real = downloads._members

    def counted(*args):
        built.append(1)
        return real(*args)

    downloads._members = counted
    results, barrier = [], threading.Barrier(8)

    def ask():
        barrier.wait()
        results.append(downloads.archive("s7", "test1", "sample"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len(results) == 8 and len({r.sha256 for r in results}) == 1


def test_a_failed_build_leaves_nothing(tmp_path):
    cache = ArchiveCache(tmp_path)

    def broken():
        raise OSError("disk full")

    with pytest.raises(OSError):
        cache.ensure("s7/test1-inputs", "k", lambda: [Member("a", make=lambda: b"x"), Member("b", make=broken)])
    assert cache.ready("s7/test1-inputs", "k") is None
    assert sorted(p.name for p in (tmp_path / "s7").iterdir()) == [".test1-inputs.zip.lock"]
    with pytest.raises(ValueError):
        cache.ensure("s7/../x", "k", list)


def test_sweep_removes_only_leftovers_of_dead_processes(tmp_path):
    import socket

    cache = ArchiveCache(tmp_path)
    (tmp_path / "s7").mkdir()
    dead = tmp_path / "s7" / f"{TMP}{socket.gethostname()}~{2**22 + 12345}~abc"
    alive = tmp_path / "s7" / f"{TMP}{socket.gethostname()}~{os.getpid()}~abc"
    other_host = tmp_path / "s7" / f"{TMP}elsewhere~1~abc"
    for p in (dead, alive, other_host):
        p.write_bytes(b"partial")
    assert cache.sweep() == [dead]
    assert alive.exists() and other_host.exists()


def test_ground_truth_linked_among_the_inputs_is_left_out(downloads):
    files = downloads.challenge.files("s7", "test1")
    os.symlink(files.gt_of("0"), files.rgb / "sneaky.png")
    with zipfile.ZipFile(downloads.archive("s7", "test1", "inputs").path) as zf:
        assert zf.namelist() == ["rgb/0.jpg", "rgb/1.jpg", "rgb/2.jpg"]


def test_full_resolution_inputs_come_too_and_the_sample_predicts_every_patch(downloads):
    with zipfile.ZipFile(downloads.archive("s7", "test2", "inputs").path) as zf:
        names = zf.namelist()
    assert names[-1] == "full/rgb/0.jpg" and len(names) == 48 + 1
    assert not [n for n in names if n.endswith(".npy") or "gt" in n.split("/")]
    with zipfile.ZipFile(downloads.archive("s7", "test2", "sample").path) as zf:
        names = set(zf.namelist())
    assert names == {f"0_{k}.npy" for k in range(48)} | {"readme.txt"}
    with zipfile.ZipFile(downloads.archive("s7", "train", "train").path) as zf:
        names = zf.namelist()
    assert names == [f"rgb/{i}.jpg" for i in range(6)] + [f"raw/{i}.npy" for i in range(6)]


def test_who_is_given_what_and_when(downloads):
    now = datetime.now(UTC)
    past, future = now - timedelta(days=1), now + timedelta(days=1)
    d = downloads
    assert d.offered("s7", "test2", "inputs").visibility == "hidden"  # hidden, open (no dates)
    with_dates(d, "s7", "test2", closes=past)
    with pytest.raises(Forbidden, match="closed"):
        d.archive("s7", "test2", "inputs")
    assert [s.name for s in d.listing("s7").splits] == ["train", "test1"]
    with_dates(d, "s7", "test2", opens=future, closes=None)
    with pytest.raises(NotFound):
        d.archive("s7", "test2", "sample")
    with_dates(d, "s7", "test1", opens=future)
    with pytest.raises(Forbidden, match="opens at"):
        d.archive("s7", "test1", "inputs")
    listed = d.listing("s7").splits[1]
    assert (listed.name, listed.state, listed.archives) == ("test1", "upcoming", [])
    with_dates(d, "s7", "test1", opens=past - timedelta(days=1), closes=past)  # public and closed: still given
    assert d.archive("s7", "test1", "inputs").files == 3
    for split, kind in (
        ("test1", "train"),
        ("train", "inputs"),
        ("train", "sample"),
        ("test1", "gt"),
        ("nope", "inputs"),
    ):
        with pytest.raises(NotFound):
            d.archive("s7", split, kind)


def test_warm_builds_everything_given_out_in_the_background(downloads):
    downloads.warm()
    worker = downloads._builder.thread
    if worker is not None:
        worker.join(120)
    assert all(a.ready for s in downloads.listing("s7").splits for a in s.archives)
    assert all(a.ready for s in downloads.listing("p20").splits for a in s.archives)

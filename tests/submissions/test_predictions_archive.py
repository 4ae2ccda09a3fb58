"""The one predictions archive: the same bytes for the same predictions, kept by the store, and
nothing left behind when the disk fills while it is written."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from harness.errors import StorageFull
from harness.hashing import file_sha256
from harness.predictions import write_predictions
from harness_client.commands import zip_predictions
from submissions.store import UploadStore
from tests.tmpfs import fill, tmpfs


def _folder(root, n=3, side=64):
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        np.save(root / f"img_{i}.npy", rng.integers(0, 1024, (side, side, 4), dtype=np.uint16))
    (root / "readme.txt").write_text("Runtime per image [s] : 0.1\n")
    (root / "notes.md").write_text("not a prediction")
    (root / "sub").mkdir(exist_ok=True)
    return root


def test_the_archive_holds_the_predictions_and_readme_in_order_and_is_byte_stable(tmp_path):
    folder = _folder(tmp_path / "preds")
    a, b = io.BytesIO(), io.BytesIO()
    assert write_predictions(folder, a) == 4
    for p in folder.iterdir():  # other times on disk: still the same bytes
        if p.is_file():
            p.touch()
    write_predictions(folder, b)
    assert a.getvalue() == b.getvalue()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == ["img_0.npy", "img_1.npy", "img_2.npy", "readme.txt"]
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        assert zf.read("img_1.npy") == (folder / "img_1.npy").read_bytes()
    # the client's upload of a folder is the same archive, deflated
    with zipfile.ZipFile(io.BytesIO(zip_predictions(folder))) as zf:
        assert zf.namelist() == ["img_0.npy", "img_1.npy", "img_2.npy", "readme.txt"]
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}


def test_kept_predictions_are_read_only_hashed_and_where_the_store_says(tmp_path):
    store = UploadStore(tmp_path / "submissions")
    sha = store.keep_predictions(7, _folder(tmp_path / "preds"))
    path = store.predictions_of(7, "model")
    assert path == tmp_path / "submissions" / "7" / "predictions.zip"
    assert sha == file_sha256(path)
    assert path.stat().st_mode & 0o777 == 0o444
    assert sorted(p.name for p in path.parent.iterdir()) == ["predictions.zip"]


def test_received_predictions_are_a_partial_upload_removed_unless_kept(tmp_path):
    store = UploadStore(tmp_path / "submissions")
    with store.received_predictions(_folder(tmp_path / "preds")) as received:
        assert received.path.parent == store.root and received.path.name.startswith(".upload-")
        assert received.sha256 == file_sha256(received.path)
        assert received.size == received.path.stat().st_size
    assert list(store.root.iterdir()) == []
    with store.received_predictions(_folder(tmp_path / "preds")) as received:
        kept = store.keep(received, 3)
    assert file_sha256(kept) == received.sha256
    assert [p.name for p in store.root.iterdir()] == ["3"]


def test_a_disk_that_fills_while_predictions_are_kept_leaves_no_partial_file(tmp_path):
    folder = _folder(tmp_path / "preds", n=4, side=256)  # 2 MiB of predictions
    store = UploadStore(tmp_path / "submissions")
    with tmpfs(store.root, "1m"):
        (store.root / "5").mkdir()
        with pytest.raises(StorageFull, match="keeping the predictions"):
            store.keep_predictions(5, folder)
        assert list((store.root / "5").iterdir()) == []
        with pytest.raises(StorageFull):
            with store.received_predictions(folder):
                pass
        assert [p.name for p in store.root.iterdir()] == ["5"]
        filler = fill(store.root)  # not even room to start
        with pytest.raises(StorageFull):
            store.keep_predictions(5, folder)
        assert list((store.root / "5").iterdir()) == []
        filler.unlink()

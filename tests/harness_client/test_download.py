"""The download client alone (harness_client/download.py), against a fake server: resuming with Range and
If-Range, starting over when the archive changed, refusing odd answers, and unpacking safely."""

from __future__ import annotations

import hashlib
import io
import zipfile

import httpx
import pytest

from harness_client.download import FetchError, discard, fetch, unpack

BODY = bytes(range(256)) * 1000
ETAG = '"v1"'


def server(body: bytes = BODY, etag: str = ETAG, seen: list | None = None, bad_range: bool = False):
    """A file server that honours Range (bytes=N-) and If-Range the way Starlette's FileResponse does."""

    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(dict(request.headers))
        rng, if_range = request.headers.get("range"), request.headers.get("if-range")
        if rng and (if_range is None or if_range == etag):
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            if start >= len(body):
                return httpx.Response(416, headers={"content-range": f"bytes */{len(body)}"})
            first = start + 1 if bad_range else start
            return httpx.Response(
                206,
                content=body[first:],
                headers={"content-range": f"bytes {first}-{len(body) - 1}/{len(body)}", "etag": etag},
            )
        return httpx.Response(200, content=body, headers={"etag": etag})

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_a_fresh_download(tmp_path):
    ticks = []
    got = fetch(server(), "http://x/a.zip", tmp_path / "a.zip", on_progress=lambda n, t: ticks.append((n, t)))
    assert got.sha256 == hashlib.sha256(BODY).hexdigest() and got.resumed_from == 0 and got.size == len(BODY)
    assert (tmp_path / "a.zip").read_bytes() == BODY and ticks[-1] == (len(BODY), len(BODY))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip"]


def test_a_partial_download_resumes_with_if_range(tmp_path):
    (tmp_path / "a.zip.part").write_bytes(BODY[:1000])
    (tmp_path / "a.zip.part.etag").write_text(ETAG)
    seen = []
    got = fetch(server(seen=seen), "http://x/a.zip", tmp_path / "a.zip")
    assert seen[0]["range"] == "bytes=1000-" and seen[0]["if-range"] == ETAG
    assert got.resumed_from == 1000 and got.sha256 == hashlib.sha256(BODY).hexdigest()
    assert (tmp_path / "a.zip").read_bytes() == BODY and not (tmp_path / "a.zip.part.etag").exists()


def test_a_part_of_an_older_archive_is_started_over(tmp_path):
    (tmp_path / "a.zip.part").write_bytes(b"old bytes" * 50)
    (tmp_path / "a.zip.part.etag").write_text('"v0"')
    got = fetch(server(), "http://x/a.zip", tmp_path / "a.zip")
    assert got.resumed_from == 0 and (tmp_path / "a.zip").read_bytes() == BODY


def test_a_part_as_long_as_the_file_is_started_over(tmp_path):
    (tmp_path / "a.zip.part").write_bytes(BODY + b"more")
    got = fetch(server(), "http://x/a.zip", tmp_path / "a.zip", etag=ETAG)
    assert got.resumed_from == 0 and (tmp_path / "a.zip").read_bytes() == BODY


def test_a_range_from_elsewhere_is_refused(tmp_path):
    (tmp_path / "a.zip.part").write_bytes(BODY[:10])
    with pytest.raises(FetchError, match="asked for bytes from 10"):
        fetch(server(bad_range=True), "http://x/a.zip", tmp_path / "a.zip", etag=ETAG)


def test_a_refusal_carries_the_servers_reason(tmp_path):
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(403, json={"detail": "split 'test2' closed"}))
    )
    with pytest.raises(FetchError, match="403: split 'test2' closed"):
        fetch(client, "http://x/a.zip", tmp_path / "a.zip")
    assert not list(tmp_path.iterdir())
    (tmp_path / "a.zip.part").write_bytes(b"x")
    discard(tmp_path / "a.zip")
    assert not list(tmp_path.iterdir())


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_unpack_keeps_the_layout(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_of({"rgb/0.jpg": b"a", "full/rgb/1.jpg": b"b"}))
    written = unpack(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == ["full/rgb/1.jpg", "rgb/0.jpg"]


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "rgb/../../evil", "a\\..\\evil"])
def test_unpack_refuses_names_that_climb_out(tmp_path, name):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_of({"rgb/0.jpg": b"a", name: b"x"}))
    with pytest.raises(FetchError, match="unsafe names"):
        unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()

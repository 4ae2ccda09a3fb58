"""``harness data download``: a challenge's data from a running service, resumable, checked, unpacked.

``run_download`` reads the server's listing (``GET /api/data/<track>``), downloads the archive,
compares its sha256 with the listing's and unpacks it into ``OUT/<track>/<split>/`` (a sample
submission into ``OUT/<track>/<split>-sample/``). ``fetch`` writes ``<dest>.part`` and resumes it with ``Range: bytes=<have>-`` (and ``If-Range``
with the ETag the part was started under, kept in ``<dest>.part.etag``, so a part of an
archive the server has since rebuilt is started over instead of mixed); the sha256 is computed
while the bytes arrive. ``unpack`` extracts a zip after checking every member name.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness.hashing import file_sha256, hash_file_into
from harness_client import routes

CHUNK = 1 << 20


class FetchError(Exception):
    """The server refused, broke off or sent something else than asked for."""


@dataclass
class Fetched:
    path: Path
    size: int
    sha256: str
    resumed_from: int  # bytes already there from an earlier, interrupted download (0: a fresh one)


def fetch(
    client,
    url: str,
    dest: Path,
    *,
    etag: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Fetched:
    """Download ``url`` to ``dest`` (via ``dest.part``), resuming a part left by an earlier try."""
    part = dest.with_name(dest.name + ".part")
    tag_file = dest.with_name(dest.name + ".part.etag")
    h = hashlib.sha256()
    have = hash_file_into(part, h) if part.is_file() else 0
    headers = {}
    if have:
        headers["Range"] = f"bytes={have}-"
        if_range = tag_file.read_text().strip() if tag_file.is_file() else etag
        if if_range:
            headers["If-Range"] = if_range
    with client.stream("GET", url, headers=headers) as resp:
        if resp.status_code == 416 and have:  # the part is as long as the file (or longer): start over
            part.unlink()
            tag_file.unlink(missing_ok=True)
            return fetch(client, url, dest, etag=etag, on_progress=on_progress)
        if resp.status_code not in (200, 206):
            resp.read()
            raise FetchError(f"{resp.status_code}: {_detail(resp)}")
        resumed = resp.status_code == 206
        if resumed:
            start = resp.headers.get("content-range", "").removeprefix("bytes ").split("-")[0]
            if start != str(have):
                raise FetchError(f"asked for bytes from {have}, got {resp.headers.get('content-range')!r}")
        else:  # the whole file: whatever part there was does not count
            have, h = 0, hashlib.sha256()
            if resp.headers.get("etag"):
                tag_file.write_text(resp.headers["etag"])
        length = resp.headers.get("content-length")
        total = have + int(length) if length and length.isdigit() else None
        done = have
        with open(part, "ab" if resumed else "wb") as out:
            for chunk in resp.iter_bytes(CHUNK):
                out.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if on_progress:
                    on_progress(done, total)
    if total is not None and done != total:
        raise FetchError(f"the download broke off at {done} of {total} bytes; run again to resume")
    part.replace(dest)
    tag_file.unlink(missing_ok=True)
    return Fetched(path=dest, size=done, sha256=h.hexdigest(), resumed_from=have)


def discard(dest: Path) -> None:
    """Forget a download (and any part of it), so the next try starts from nothing."""
    for p in (dest, dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.etag")):
        p.unlink(missing_ok=True)


def _detail(resp) -> str:
    try:
        return str(resp.json().get("detail"))
    except ValueError:
        return resp.text[:200]


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and "\\" not in name and "\x00" not in name and not name.startswith("/") and ".." not in parts


def unpack(archive: Path, out: Path) -> list[Path]:
    """Extract ``archive`` into ``out`` (member names checked first: no absolute paths, no ``..``)."""
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        bad = [m.filename for m in members if not _safe(m.filename)]
        if bad:
            raise FetchError(f"{archive.name} holds unsafe names: {', '.join(bad[:5])}")
        written = []
        for m in members:
            target = out.joinpath(*PurePosixPath(m.filename).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(m) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            written.append(target)
    return written


def _progress(enabled: bool, label: str):
    """A rich progress bar on stderr (bytes, speed, time left), or a no-op when nobody watches."""
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _entry(listing: dict, split: str, kind: str | None) -> tuple[dict | None, str]:
    """(archive entry, kind) of the listing: the kind asked for, else the split's natural one; None when not listed."""
    found = next((s for s in listing["splits"] if s["name"] == split), None)
    if found is None:
        return None, kind or "inputs"
    kind = kind or ("train" if found["kind"] == "train" else "inputs")
    return next((a for a in found["archives"] if a["kind"] == kind), None), kind


def run_download(
    server: str, track: str, split: str, kind: str | None, out: Path, *, extract: bool, json_out: bool
) -> int:
    """The command's body; returns its exit code (0 ok, 1 refused, unreachable or a mismatch)."""
    import json
    import sys

    import httpx

    base = server.rstrip("/")
    report: dict = {"server": base, "track": track, "split": split, "kind": kind, "ok": False}

    def done(code: int, error: str | None = None) -> int:
        if error:
            report["error"] = error
        if json_out:
            sys.stdout.write(json.dumps(report) + "\n")
        elif error:
            sys.stderr.write(f"Error: {error}\n")
        return code

    try:
        with httpx.Client(timeout=httpx.Timeout(60.0, read=1800.0)) as client:
            resp = client.get(routes.DATA_LISTING.url(base, track=track))
            if resp.status_code != 200:
                return done(1, f"{resp.status_code}: {_detail(resp)}")
            entry, kind = _entry(resp.json(), split, kind)
            report["kind"] = kind
            url = routes.DATA_ARCHIVE.url(base, track=track, split=split, kind=kind)
            if entry is None:  # the server says why (404 unknown, 403 not open or closed)
                with client.stream("GET", url) as probe:
                    reason = "not listed"
                    if probe.status_code != 200:
                        probe.read()
                        reason = f"{probe.status_code}: {_detail(probe)}"
                return done(1, f"{track}/{split} offers no {kind} download ({reason})")
            dest = out / entry["filename"]
            out.mkdir(parents=True, exist_ok=True)
            report.update(url=url, path=str(dest))
            expected = entry["sha256"]
            if dest.is_file() and expected and file_sha256(dest) == expected:
                got = Fetched(path=dest, size=dest.stat().st_size, sha256=expected, resumed_from=0)
                report["cached"] = True  # downloaded and checked before: not fetched again
            else:
                etag = f'"{expected}"' if expected else None
                with _progress(not json_out and sys.stderr.isatty(), f"{track}/{split} {kind}") as bar:
                    task = bar.add_task("download", total=entry["size"]) if bar else None

                    def tick(n: int, total: int | None) -> None:
                        if bar:
                            bar.update(task, completed=n, total=total)

                    got = fetch(client, url, dest, etag=etag, on_progress=tick)
            if expected is None:  # built by this very request: the listing knows its sha256 now
                entry, _ = _entry(client.get(routes.DATA_LISTING.url(base, track=track)).json(), split, kind)
                expected = entry["sha256"] if entry else None
    except httpx.ConnectError as exc:
        return done(1, f"cannot reach {server}: {exc}")
    except httpx.HTTPError as exc:
        return done(1, f"the transfer from {server} broke off ({exc!r}); run again to resume")
    except (KeyError, TypeError, ValueError) as exc:
        return done(1, f"{server} did not answer like a harness service ({exc!r})")
    except (FetchError, OSError) as exc:
        return done(1, str(exc))
    report.update(size=got.size, sha256=got.sha256, expected_sha256=expected, resumed_from=got.resumed_from)
    if got.sha256 != expected:
        discard(dest)
        return done(
            1, f"sha256 mismatch: got {got.sha256}, the server lists {expected}; the file is removed, run again"
        )
    if extract:
        target = out / track / (f"{split}-sample" if kind == "sample" else split)
        try:
            report["files"] = len(unpack(dest, target))
        except (FetchError, zipfile.BadZipFile, OSError) as exc:
            return done(1, str(exc))
        report["extracted"] = str(target)
    report["ok"] = True
    if not json_out:
        how = ", already here" if report.get("cached") else ""
        how += f", resumed at {got.resumed_from} bytes" if got.resumed_from else ""
        sys.stdout.write(f"{dest} ({got.size} bytes{how}): sha256 {got.sha256} ok\n")
        if extract:
            sys.stdout.write(f"unpacked {report['files']} files into {report['extracted']}\n")
    return done(0)

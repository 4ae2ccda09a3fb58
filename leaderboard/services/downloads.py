"""What a participant may download (CodaLab's "get the data"), and the archives that carry it.

- a training split: its pairs, ``rgb/`` + ``raw/`` (kind ``train``);
- a test split: its inputs, the ``rgb/`` patches and, where the split has them, the whole images
  under ``full/rgb/`` (kind ``inputs``), and a ``sample`` submission: the trivial predictor's
  output (``harness/sim/naive.py``) for every input, with a filled AIM ``readme.txt``. On a forward
  track the inputs are the RAW under ``raw/`` and the sample holds the classical pipeline's sRGB
  PNGs (``harness/sim/classical.py``).

Never a ground-truth byte: members come from the layout's input and pair lists only, and a file
that resolves into a ground-truth folder (a symbolic link, say) is left out. Member names are
paths relative to the split folder, so an unpacked download has the challenge's own layout.

Public test splits are offered from their opening date on, also once closed (a finished phase
keeps its data). Hidden ones only while open: before, nobody learns they exist (404); after,
their inputs are refused (403). Archives are built once (``archives.ArchiveCache``) and rebuilt
when the split's files change; a listing never waits for a build: what is not built yet is
queued on one background thread and listed as not ready (a download builds it at once).
"""

from __future__ import annotations

import logging
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from harness import __version__
from harness.challenge import SplitLayout, SplitSpec, TrackSpec
from harness.errors import Forbidden, HarnessError, NotFound
from leaderboard.models import Clock, utcnow
from leaderboard.services.challenge import Challenge
from leaderboard.services.data_models import ArchiveEntry, SplitData, SubmissionFormat, TrackData
from leaderboard.services.sample import README_KEYS, readme_text, sample_members
from leaderboard.services.zip_cache import ArchiveCache, ArchiveInfo, Background, Member, fingerprint

log = logging.getLogger(__name__)

RESCAN_S = 30.0  # a split's files are listed again at least this often, whatever its folders say
FORMAT = "1"  # bump when an archive's contents change for the same files


def kinds_of(split: SplitSpec) -> tuple[str, ...]:
    return ("train",) if split.kind == "train" else ("inputs", "sample")


def state_of(split: SplitSpec, now: datetime) -> Literal["open", "upcoming", "closed"]:
    if split.kind == "train":
        return "open"
    if split.opens and now < split.opens:
        return "upcoming"
    if split.closes and now > split.closes:
        return "closed"
    return "open"


@dataclass(frozen=True)
class Scan:
    """What one archive would hold: its members (name, path, size), their key, and when they were listed."""

    files: list[tuple[str, Path, int]]
    key: str
    state: tuple
    at: float


def _folder_state(files: SplitLayout, manifest: Path) -> tuple:
    """Inode and mtime of the split's folders and the manifest: a file added, removed or renamed changes it."""
    out = []
    for p in (files.root, files.rgb, files.raw, files.full.root, files.full.inputs, manifest):
        try:
            st = p.stat()
            out.append((st.st_ino, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


class Downloads:
    def __init__(self, root: Path, challenge: Challenge, clock: Clock = utcnow) -> None:
        self.challenge = challenge
        self.clock = clock
        self.cache = ArchiveCache(root)
        self._builder = Background(self._build_ahead, name="downloads")
        self._scans: dict[tuple[str, str, str], Scan] = {}

    # --- who may have what ------------------------------------------------------------------

    def listed(self, split: SplitSpec, now: datetime) -> bool:
        """Does the data page show the split? Hidden test splits only while open."""
        return split.kind == "train" or split.visibility == "public" or state_of(split, now) == "open"

    def offered(self, track: str, split: str, kind: str) -> SplitSpec:
        """The split, when its ``kind`` download is given out now (NotFound / Forbidden otherwise)."""
        spec = self.challenge.track(track)
        found = next((s for s in spec.splits if s.name == split), None)
        now = self.clock()
        state = state_of(found, now) if found else None
        if found is None or (found.visibility == "hidden" and state == "upcoming"):  # unannounced: unknown
            raise NotFound(f"track {track!r} offers no split {split!r} for download")
        if kind not in kinds_of(found):
            raise NotFound(f"split {split!r} has no {kind!r} download; it has {', '.join(kinds_of(found))}")
        if state == "upcoming":
            raise Forbidden(f"split {split!r} opens at {found.opens.isoformat()}")
        if state == "closed" and found.visibility == "hidden":
            raise Forbidden(f"split {split!r} closed at {found.closes.isoformat()}; its inputs are no longer given out")
        return found

    # --- what an archive holds --------------------------------------------------------------

    def _public(self, files: SplitLayout, paths: list[Path]) -> list[tuple[str, Path]]:
        private = [d.resolve() for d in files.private_dirs()]
        folders: dict[Path, Path] = {}  # resolved once per folder; a file only when it is a link itself
        out = []
        for p in paths:
            if p.parent not in folders:
                folders[p.parent] = p.parent.resolve()
            real = p.resolve() if p.is_symlink() else folders[p.parent] / p.name
            if any(real.is_relative_to(d) for d in private):
                log.warning("left out of downloads: %s resolves into a ground-truth folder", p)
                continue
            out.append((files.member_name(p), p))
        return out

    def _files(self, files: SplitLayout, kind: str) -> list[tuple[str, Path]]:
        if kind == "train":
            return self._public(files, files.pair_files())
        if kind == "inputs":
            return self._public(files, files.input_files())
        return self._public(files, files.patch_inputs())  # sample: one prediction per input patch

    def _scan(self, track: TrackSpec, split: str, kind: str) -> Scan:
        """What the archive would hold now, and its key; listed again when a folder of the split (or the
        challenge's manifest) changes, and at least every RESCAN_S seconds (a file edited in place)."""
        files = self.challenge.files(track.name, split)
        state = _folder_state(files, self.challenge.layout.manifest)
        job = (track.name, split, kind)
        cached = self._scans.get(job)
        if cached is not None and cached.state == state and time.monotonic() - cached.at < RESCAN_S:
            return cached
        at = time.monotonic()
        entries = []
        for name, path in self._files(files, kind):
            try:
                entries.append((name, path, path.stat()))
            except FileNotFoundError:  # removed since the folder was read: not part of it any more
                continue
        parts = [FORMAT, kind]
        if kind == "sample":
            parts += [__version__, track.kind, str(track.black), str(track.white), str(track.normaliser)]
        key = fingerprint(parts, [(name, st) for name, _, st in entries])
        scan = Scan([(name, path, st.st_size) for name, path, st in entries], key, state, at)
        self._scans[job] = scan
        return scan

    def _members(self, track: TrackSpec, kind: str, files: list[tuple[str, Path, int]]) -> Iterable[Member]:
        if kind != "sample":
            return [Member(name, path=path) for name, path, _ in files]
        return sample_members(track, [path for _, path, _ in files])

    @staticmethod
    def _name(track: str, split: str, kind: str) -> str:
        return f"{track}/{split}-{kind}"

    def filename(self, track: str, split: str, kind: str) -> str:
        return f"{self.challenge.layout.root.name}-{track}-{split}-{kind}.zip"

    # --- archives -----------------------------------------------------------------------------

    def archive(self, track: str, split: str, kind: str) -> ArchiveInfo:
        """The built archive of a download given out now (built first when missing or stale)."""
        self.offered(track, split, kind)
        spec = self.challenge.track(track)
        scan = self._scan(spec, split, kind)
        if not scan.files:
            raise NotFound(f"split {split!r} has no files to download")
        compression = zipfile.ZIP_DEFLATED if kind == "sample" else zipfile.ZIP_STORED
        return self.cache.ensure(
            self._name(track, split, kind), scan.key, lambda: self._members(spec, kind, scan.files), compression
        )

    def listing(self, track: str) -> TrackData:
        """Every split a participant may see now, with counts, sizes and each archive's sha256 once built."""
        spec = self.challenge.track(track)
        now = self.clock()
        splits = []
        for s in spec.splits:
            if not self.listed(s, now):
                continue
            state = state_of(s, now)
            files = self.challenge.files(track, s.name)
            patches = files.rgb if s.kind == "train" else files.inputs
            scanned = self._scan(spec, s.name, "train" if s.kind == "train" else "inputs").files
            inputs = [size for _, path, size in scanned if path.parent == patches]
            full = [size for _, path, size in scanned if path.parent != patches] if s.kind == "test" else []
            entries = [self._entry(spec, s.name, kind) for kind in kinds_of(s)] if self._gives(s, now) else []
            splits.append(
                SplitData(
                    name=s.name,
                    kind=s.kind,
                    visibility=s.visibility,
                    primary_metric=s.primary_metric if s.kind == "test" else None,
                    opens=s.opens,
                    closes=s.closes,
                    state=state,
                    images=len(inputs),
                    full_images=len(full),
                    input_bytes=sum(inputs) + sum(full),
                    archives=[e for e in entries if e is not None],
                )
            )
        return TrackData(
            challenge=self.challenge.layout.root.name,
            track=spec.name,
            kind=spec.kind,
            title=spec.title,
            camera=spec.camera,
            black=spec.black,
            white=spec.white,
            normaliser=spec.normaliser,
            patch=spec.patch,
            rgb_patch=spec.rgb_patch,
            splits=splits,
            submission_format=self.submission_format(spec),
        )

    def _entry(self, spec: TrackSpec, split: str, kind: str) -> ArchiveEntry | None:
        scan = self._scan(spec, split, kind)
        if not scan.files:
            return None
        info = self.cache.ready(self._name(spec.name, split, kind), scan.key)
        if info is None:
            self._builder.add(spec.name, split, kind)
        return ArchiveEntry(
            kind=kind,
            url=f"/api/data/{spec.name}/{split}/{kind}.zip",
            filename=self.filename(spec.name, split, kind),
            ready=info is not None,
            size=info.size if info else None,
            sha256=info.sha256 if info else None,
            files=info.files if info else len(scan.files) + (kind == "sample"),
            content_bytes=info.content_bytes if info else None,
        )

    @staticmethod
    def submission_format(spec: TrackSpec) -> SubmissionFormat:
        example = readme_text(0.25, cpu=False, extra_data=False, description="what your method does")
        if spec.forward:
            return SubmissionFormat(
                prediction="<stem>.png for every input <stem>.npy of the split: names are the input stems",
                file_format="PNG",
                dtype="uint8",
                shape=list(spec.prediction_shape),
                channels=["R", "G", "B"],
                bayer="",
                max_value=255,
                black=spec.black,
                white=spec.white,
                readme_keys=list(README_KEYS),
                readme_example=example,
            )
        return SubmissionFormat(
            shape=[spec.patch, spec.patch, 4],
            max_value=int(spec.normaliser),
            black=spec.black,
            white=spec.white,
            readme_keys=list(README_KEYS),
            readme_example=example,
        )

    # --- building ahead -----------------------------------------------------------------------

    def warm(self) -> None:
        """Queue every archive given out now (inputs first, then samples, training pairs last)."""
        now = self.clock()
        for kind in ("inputs", "sample", "train"):
            for spec in self.challenge.spec.tracks:
                for s in spec.splits:
                    if kind in kinds_of(s) and self.listed(s, now) and self._gives(s, now):
                        self._builder.add(spec.name, s.name, kind)

    def _build_ahead(self, track: str, split: str, kind: str) -> None:
        try:
            self.archive(track, split, kind)
        except HarnessError as exc:  # the split changed meanwhile (closed, emptied): nothing to build
            log.info("not building the %s archive of %s/%s: %s", kind, track, split, exc.message)

    @staticmethod
    def _gives(split: SplitSpec, now: datetime) -> bool:
        state = state_of(split, now)
        return state != "upcoming" and not (state == "closed" and split.visibility == "hidden")

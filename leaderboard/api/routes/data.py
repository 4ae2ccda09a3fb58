"""Data for participants: what each split gives out, and its archives (served as files, resumable).

Names in these paths are looked up in the challenge's spec, never joined into a file path; the
files served are the archives ``services/downloads.py`` built from the layout's input and
training lists, so no route reaches a ground-truth file.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from harness_client import routes
from leaderboard.api.deps import CtxDep
from leaderboard.services.data_models import TrackData

router = APIRouter(prefix=routes.DATA, tags=["data"])

KindPath = Annotated[
    str,
    Path(
        description="inputs (a test split's RGB inputs), sample (a sample submission), train (a training split's pairs)",
        json_schema_extra={"enum": ["inputs", "train", "sample"]},
    ),
]


class ZipFile(FileResponse):
    """Sent in 1 MiB reads, not Starlette's 64 KiB: curl over loopback 340 -> 1390 MB/s (benchmarks/bench_downloads.py)."""

    chunk_size = 1 << 20


@router.get(routes.DATA_LISTING.path, response_model=TrackData)
def listing(track: str, ctx: CtxDep) -> TrackData:
    """The splits a participant may see now (training, public test splits, hidden ones while open), with
    counts, sizes and, once built, each archive's size and sha256; and the exact submission format."""
    return ctx.downloads.listing(track)


@router.api_route(
    routes.DATA_ARCHIVE.path,
    methods=["GET", "HEAD"],
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The whole archive."},
        206: {"content": {"application/zip": {}}, "description": "The requested byte range (`Range: bytes=N-`)."},
        403: {"description": "The split has not opened yet, or is a hidden split that has closed."},
        404: {"description": "No such track, split or download."},
        416: {"description": "The range lies beyond the archive."},
    },
)
def archive(track: str, split: str, kind: KindPath, ctx: CtxDep) -> FileResponse:
    """One archive as a file: `Accept-Ranges: bytes`, `ETag` = its quoted sha256 (send it as `If-Range`
    when resuming), built on the first request when it is not built yet. An `inputs` zip holds the
    split's RGB inputs only (`rgb/<stem>.jpg`, and `full/rgb/<image>.jpg` for whole images)."""
    info = ctx.downloads.archive(track, split, kind)
    return ZipFile(
        info.path,
        media_type="application/zip",
        filename=ctx.downloads.filename(track, split, kind),
        headers={"ETag": f'"{info.sha256}"', "X-Content-SHA256": info.sha256, "Cache-Control": "no-cache"},
    )

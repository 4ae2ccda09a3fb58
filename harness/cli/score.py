"""``harness score PREDS GT``: score a prediction folder against ground truth.

Only what scoring needs is imported, and only when the command runs: numba (the engine),
rich's tables and bars; see ``harness.scoring``.
"""

from __future__ import annotations

import csv
import gc
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.metrics.profiles import PROFILES, get_profile

if TYPE_CHECKING:
    from rich.console import Console

    from harness.scoring import ScoreReport

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE = 0, 1, 2
_ALIGNED_IMAGE_FIELDS = {"aligned_psnr", "aligned_ssim", "shift", "scale", "cc"}
_LPIPS_FIELDS = {"lpips", "lpips_note"}  # profile srgb only


def _fmt(x: float | None, digits: int) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _print_human(report: ScoreReport, console: Console, per_image: bool) -> None:
    from rich.table import Table

    if report.readme is not None:
        info = report.readme
        console.print(
            f"readme.txt: runtime {info['runtime_s']} s/image, device {info['device']}, "
            f"extra data {info['extra_data']}; {(info['description'] or '').splitlines()[0] if info['description'] else 'no description'}"
        )
    for w in report.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    if report.errors:
        table = Table(title=f"{len(report.errors)} problem(s): nothing was scored", title_style="bold red")
        table.add_column("file")
        table.add_column("code")
        table.add_column("problem")
        for e in report.errors:
            table.add_row(Path(e.file).name, e.code, e.message)
        console.print(table)
        return
    aligned = report.alignment is not None
    table = Table(title=f"profile {report.profile}: {report.n_images} image(s)")
    table.add_column("image")
    table.add_column("PSNR (dB)", justify="right")
    table.add_column("SSIM", justify="right")
    lpips = get_profile(report.profile).lpips
    if lpips:
        table.add_column("LPIPS", justify="right")
    if aligned:
        for name in ("aligned PSNR (diagnostic)", "aligned SSIM (diagnostic)", "shift dy, dx (px)", "scale"):
            table.add_column(name, justify="right")
    if per_image:
        for r in report.images:
            cells = [r.name + (" (identical)" if r.identical else ""), _fmt(r.psnr, 4), _fmt(r.ssim, 6)]
            if lpips:
                cells.append(_fmt(r.lpips, 6))
            if aligned:
                shift = "-" if r.shift is None else f"{r.shift[0]:+.3f}, {r.shift[1]:+.3f}"
                cells += [_fmt(r.aligned_psnr, 4), _fmt(r.aligned_ssim, 6), shift, _fmt(r.scale, 5)]
            table.add_row(*cells)
        table.add_section()
    mean = ["[bold]mean[/]", f"[bold]{_fmt(report.psnr, 4)}[/]", f"[bold]{_fmt(report.ssim, 6)}[/]"]
    if lpips:
        mean.append(f"[bold]{_fmt(report.lpips, 6)}[/]")
    if aligned:
        mean += [f"[bold]{_fmt(report.aligned_psnr, 4)}[/]", f"[bold]{_fmt(report.aligned_ssim, 6)}[/]", "", ""]
    table.add_row(*mean)
    console.print(table)
    if report.lpips_note:
        console.print(report.lpips_note)
    if aligned:
        a = report.alignment
        console.print(
            f"aligned (diagnostic, never ranked): {a.motion} transform of each prediction to its ground truth, "
            f"central crop {a.crop} px per side, {a.n_images} image(s) counted"
            + (f"; left out (correlation < {a.threshold}): {', '.join(a.excluded)}" if a.excluded else "")
        )
    n_identical = sum(r.identical for r in report.images)
    if n_identical:
        console.print(
            f"[yellow]note:[/] {n_identical} image(s) equal their ground truth; their PSNR is the sentinel 999 (the official scorer's convention), which lifts the mean"
        )


def _csv(x) -> str:
    return "" if x is None or x == "" else repr(float(x))


def write_per_image_csv(report: ScoreReport, path: Path) -> None:
    """Per-image scores as CSV (full float precision, images in ground-truth order)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        aligned = report.alignment is not None
        lpips = get_profile(report.profile).lpips
        w.writerow(
            ["name", "psnr", "ssim", "identical"]
            + (["lpips"] if lpips else [])
            + (["aligned_psnr", "aligned_ssim", "dy", "dx", "scale"] if aligned else [])
        )
        for r in report.images:
            row = [r.name, repr(r.psnr), repr(r.ssim), int(r.identical)] + ([_csv(r.lpips)] if lpips else [])
            if aligned:
                dy, dx = r.shift if r.shift is not None else ("", "")
                row += [_csv(r.aligned_psnr), _csv(r.aligned_ssim), _csv(dy), _csv(dx), _csv(r.scale)]
            w.writerow(row)


def _score_with_bar(preds: Path, gt: Path, n: int, **kwargs) -> ScoreReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from harness.scoring import score_directories

    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("scoring", total=n)
        return score_directories(preds, gt, on_image=lambda _s: progress.advance(task), **kwargs)


def score(
    preds: Annotated[
        Path,
        typer.Argument(
            help="Folder of <image>.npy predictions (uint16, (h, w, 4)), or with --profile srgb <image>.png "
            "(8-bit RGB); may hold readme.txt."
        ),
    ],
    gt: Annotated[
        Path,
        typer.Argument(
            help="Folder of <image>.npy (--profile srgb: <image>.png) ground truth; predictions are paired with it by name."
        ),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    per_image: Annotated[
        Path | None, typer.Option("--per-image", help="Also write per-image scores to this CSV file.", dir_okay=False)
    ] = None,
    images: Annotated[bool, typer.Option("--images", "-i", help="Show one table row per image.")] = False,
    profile: Annotated[
        str,
        typer.Option(
            help=f"Metric profile ({', '.join(PROFILES)}): aim22 scores packed RAW .npy, srgb scores 8-bit RGB .png "
            "with PSNR/SSIM and LPIPS (LPIPS needs HARNESS_LPIPS_BACKBONE: torchvision's alexnet-owt-7be5be79.pth)."
        ),
    ] = "aim22",
    workers: Annotated[int | None, typer.Option(min=1, help="Threads to score with (default: every core).")] = None,
    align: Annotated[
        bool,
        typer.Option(
            "--align",
            help="Also estimate each prediction's geometric transform to its ground truth and report aligned "
            "PSNR/SSIM, shift and scale beside the official figures (a diagnostic; needs OpenCV).",
        ),
    ] = False,
    motion: Annotated[str, typer.Option(help="With --align: the transform model, affine or translation.")] = "affine",
) -> None:
    """Score predictions against ground truth: per-image and mean PSNR / SSIM (+ LPIPS with --profile srgb).

    Exit codes: 0 scored, 1 the inputs had problems (all listed, nothing scored), 2 usage.
    """
    try:
        prof = get_profile(profile)
    except KeyError as exc:
        typer.echo(f"Error: {exc.args[0]}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if motion not in ("affine", "translation"):
        typer.echo(f"Error: --motion must be affine or translation, not {motion!r}", err=True)
        raise typer.Exit(EXIT_USAGE)
    png = prof.suffix == ".png"
    if png and align:
        typer.echo("Error: --align works on packed RAW (profile aim22), not on --profile srgb", err=True)
        raise typer.Exit(EXIT_USAGE)
    lpips = None
    if prof.lpips:
        from harness.metrics.lpips import LpipsError, LpipsScorer

        try:
            lpips = LpipsScorer.from_env()
        except LpipsError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
    from harness.metrics.numba_start import numba_without_blas_probe
    from harness.scoring import list_ground_truth, score_directories

    gt_stems, _ = list_ground_truth(gt, prof.suffix)
    plan = None
    if align:
        from harness.alignment.offline import estimate_predictions

        plan = estimate_predictions(preds, gt, motion=motion, profile=prof)
    # A short run: loading numba makes many objects and frees few, so cyclic collections while
    # it loads, and over them all when the interpreter exits, are wasted time (about 0.3 s in
    # all); arrays are freed by reference counting anyway. What lives at the end is frozen,
    # out of the collector's sight, for the exit.
    gc.disable()
    kwargs = {"profile": prof, "workers": workers, "align": plan, "lpips": lpips}
    try:
        # this short process uses numba for the kernels alone (the srgb profile: not at all)
        with nullcontext() if png else numba_without_blas_probe():
            if sys.stderr.isatty() and len(gt_stems) > 1:
                report = _score_with_bar(preds, gt, len(gt_stems), **kwargs)
            else:  # nobody watches: no bar, and no rich to import
                report = score_directories(preds, gt, **kwargs)
    finally:
        gc.freeze()
        gc.enable()
    if per_image is not None and report.ok:
        write_per_image_csv(report, per_image)
    if json_out:
        # the documented schema: region metrics need the split's inputs, which this command has not
        image_fields = {"regions"} | (set() if align else _ALIGNED_IMAGE_FIELDS) | (set() if prof.lpips else {"lpips"})
        top = (set() if align else {"aligned_psnr", "aligned_ssim", "alignment"}) | (
            set() if prof.lpips else _LPIPS_FIELDS
        )
        exclude = {"images": {"__all__": image_fields}} | dict.fromkeys(top, True)
        sys.stdout.write(report.model_dump_json(indent=None, exclude=exclude) + "\n")
    else:
        from rich.console import Console

        console = Console()
        _print_human(report, console, images)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_INPUT_ERRORS)

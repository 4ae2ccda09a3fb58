"""``harness analyze``: bootstrap significance of several entries' per-image scores, offline."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer


def _load(path: Path) -> dict[str, dict[str, float]]:
    """name -> {psnr, ssim} from `harness score --json` output or a `--per-image` CSV."""
    text = path.read_text()
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        doc = json.loads(text)
        images = doc.get("images") if isinstance(doc, dict) else None
        if not isinstance(images, list):
            raise ValueError(f"{path}: no 'images' list (expected the output of `harness score --json`)")
        return {str(i["name"]): {"psnr": float(i["psnr"]), "ssim": float(i["ssim"])} for i in images}
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"name", "psnr", "ssim"} <= set(rows[0]):
        raise ValueError(f"{path}: expected a CSV with columns name, psnr, ssim (`harness score --per-image`)")
    return {r["name"]: {"psnr": float(r["psnr"]), "ssim": float(r["ssim"])} for r in rows}


def analyze(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Score files: `harness score --json` output or --per-image CSVs.", exists=True, dir_okay=False
        ),
    ],
    metric: Annotated[str, typer.Option(help="psnr or ssim.")] = "psnr",
    resamples: Annotated[int, typer.Option(min=100, help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    level: Annotated[float, typer.Option(min=0.5, max=0.999, help="Confidence level.")] = 0.95,
    names: Annotated[str | None, typer.Option(help="Comma-separated entry names (default: file names).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Is entry 2 really better than entry 3? Paired bootstrap over the images all files share.

    Prints each entry's mean with its confidence interval, the probability that it beats the
    next entry, and significance groups (entries in one group cannot be told apart).
    Exit codes: 0 done, 2 unusable input.
    """
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from harness.analysis.bootstrap import bootstrap

    if metric not in ("psnr", "ssim"):
        typer.echo("Error: --metric must be psnr or ssim", err=True)
        raise typer.Exit(2)
    labels = [n.strip() for n in names.split(",")] if names else [f.stem for f in files]
    if len(labels) != len(files) or len(set(labels)) != len(labels):
        typer.echo("Error: give one distinct name per file", err=True)
        raise typer.Exit(2)
    try:
        tables = [_load(f) for f in files]
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    common = sorted(set.intersection(*(set(t) for t in tables)))
    if not common:
        typer.echo("Error: the files share no image names", err=True)
        raise typer.Exit(2)
    dropped = {lab: len(t) - len(common) for lab, t in zip(labels, tables, strict=True) if len(t) != len(common)}
    scores = {lab: np.array([t[n][metric] for n in common]) for lab, t in zip(labels, tables, strict=True)}
    report = bootstrap(scores, metric=metric, n_resamples=resamples, level=level, seed=seed)
    if as_json:
        typer.echo(json.dumps({**report.model_dump(), "images_left_out": dropped}, indent=2))
        return
    f = "{:.3f}" if metric == "psnr" else "{:.5f}"
    table = Table(
        title=f"{metric.upper()} over {report.n_images} shared images, {resamples} paired resamples, seed {seed}"
    )
    for col in ("rank", "entry", "mean", f"{level:.0%} CI", "P(beats next)", "group"):
        table.add_column(col, justify="left" if col == "entry" else "right")
    for i, e in enumerate(report.entries, start=1):
        table.add_row(
            str(i),
            e.name,
            f.format(e.mean),
            f"{f.format(e.ci_low)} - {f.format(e.ci_high)}",
            "-" if e.p_order is None else f"{e.p_order:.3f}",
            str(e.group),
        )
    Console().print(table)
    if dropped:
        typer.echo(f"images not in every file were left out: {dropped}", err=True)

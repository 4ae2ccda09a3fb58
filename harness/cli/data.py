"""``harness data ...``: make data sets and look at RAW files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Make challenge data and render RAW files.", no_args_is_help=True)


@data_app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write gt/ and preds/<kind>/ into.")],
    n_images: Annotated[int, typer.Option("--n", min=1, help="Number of images.")] = 6,
    size: Annotated[int, typer.Option(min=11, help="Height and width of each packed image.")] = 64,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
) -> None:
    """Write a small synthetic ground-truth set and three imperfect prediction sets."""
    from harness.synth import write_score_fixture

    dirs = write_score_fixture(out, n_images=n_images, size=(size, size), seed=seed)
    for name, d in dirs.items():
        typer.echo(f"{name:8s} {d}")


@data_app.command("render")
def render(
    raw: Annotated[Path, typer.Argument(help="Packed RAW .npy (uint16, (h, w, 4), RGGB).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    black: Annotated[float, typer.Option(help="Black level.")] = 0.0,
    white: Annotated[float, typer.Option(help="White level.")] = 1023.0,
) -> None:
    """Render a packed RAW file to PNG with the visualising ISP (for people, not for scoring)."""
    from harness.npyio import NpyError, read_raw
    from harness.raw import save_png, visualise

    try:
        arr = read_raw(raw, max_value=65535)
    except NpyError as exc:
        for e in exc.errors:
            typer.echo(f"Error: {e.message}", err=True)
        raise typer.Exit(1) from None
    save_png(visualise(arr, black=black, white=white), out)
    typer.echo(f"wrote {out} ({arr.shape[1] * 2}x{arr.shape[0] * 2})")

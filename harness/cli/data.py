"""``harness data ...``: make data sets and look at RAW files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

HELP = "Make challenge data and render RAW files."


def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write gt/ and preds/<kind>/ into.")],
    n_images: Annotated[int, typer.Option("--n", min=1, help="Number of images.")] = 6,
    size: Annotated[int, typer.Option(min=11, help="Height and width of each packed image.")] = 64,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
) -> None:
    """Write a small synthetic ground-truth set and three imperfect prediction sets."""
    from harness.sim.synth import write_score_fixture

    dirs = write_score_fixture(out, n_images=n_images, size=(size, size), seed=seed)
    for name, d in dirs.items():
        typer.echo(f"{name:8s} {d}")


def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Data root (default: HARNESS_DATA_DIR, ./var); writes challenges/demo under it."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 0,
    scale: Annotated[
        float,
        typer.Option(
            min=0.25,
            max=16,
            help="Size of the sets (1 = CI-sized; 2 doubles patches and full images; below 1, full images of fewer than the challenge's 6 x 8 patches, for quick tries).",
        ),
    ] = 1.0,
    align: Annotated[
        bool,
        typer.Option(
            "--align/--no-align",
            help="Write each test split's reference alignment (alignment.json), for the aligned diagnostics.",
        ),
    ] = True,
) -> None:
    """Build the demo challenge (tracks s7 and p20; splits train, test1, test2) from real captures and photos."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.challenge import ChallengeLayout
    from harness.settings import get_settings
    from harness.sim.demo import build_demo
    from harness.sim.sources import DEFAULT_ROOT, available

    root = out if out is not None else get_settings().data_dir
    if not available(DEFAULT_ROOT):
        typer.echo(
            f"warning: no real sensor captures found in {DEFAULT_ROOT} (HARNESS_RAW_CAPTURES_DIR): "
            "the demo's ground truth comes from scikit-image's photographs alone",
            err=True,
        )
    with Progress(
        TextColumn("building demo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        task = progress.add_task("demo", total=None)
        path = build_demo(
            root,
            seed=seed,
            scale=scale,
            align=align,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    manifest = ChallengeLayout(path).manifest
    n = len(manifest.read_text().splitlines())
    typer.echo(f"wrote {path} ({n} files; sha256 of each in {manifest.name})")


def predict_naive(
    challenge: Annotated[
        Path,
        typer.Argument(
            help="Challenge folder (holding challenge.toml), or a split folder (holding rgb/, or raw/ of a "
            "forward track), e.g. a download."
        ),
    ],
    track: Annotated[str, typer.Option(help="Track name.")] = "s7",
    split: Annotated[str, typer.Option(help="Split name.")] = "test1",
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the <stem>.npy (forward track: <stem>.png) predictions.")
    ] = Path("preds"),
    black: Annotated[
        float | None, typer.Option(help="Black level (a split folder only; the Data page says it).")
    ] = None,
    white: Annotated[float | None, typer.Option(help="White level (a split folder only).")] = None,
) -> None:
    """Predict a split with the trivial predictor (inverse gamma + mosaic): a floor to beat. On a forward
    track (RAW inputs) the classical pipeline instead: black level, grey-world white balance, demosaic,
    colour matrix, sRGB gamma."""
    from harness.challenge import ChallengeLayout, SplitLayout, TrackSpec, load_challenge
    from harness.challenge.spec import FILENAME
    from harness.errors import HarnessError
    from harness.sim import classical, naive

    split_folder = (challenge / "rgb").is_dir() or (challenge / "raw").is_dir()
    if not (challenge / FILENAME).is_file() and split_folder:
        if black is None or white is None:
            typer.echo("Error: a split folder needs --black and --white (the track's levels)", err=True)
            raise typer.Exit(2)
        # a test split's download of a forward track holds its RAW inputs alone
        kind = "forward" if not (challenge / "rgb").is_dir() else "reverse"
        spec = TrackSpec(name=track, title=track, camera="", kind=kind, black=black, white=white, patch=1, splits=[])
        where = SplitLayout(challenge, kind)
    else:
        try:
            spec = load_challenge(challenge).track(track)
            spec.split(split)
        except (OSError, KeyError, HarnessError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
        where = ChallengeLayout(challenge).split(track, split, spec.kind)
    n = (classical if spec.forward else naive).predict_split(where, spec, out)
    typer.echo(f"wrote {n} predictions to {out}")


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


def build_data_app(*more: tuple[str, Callable]) -> typer.Typer:
    """A new ``data`` command group: the offline commands, then ``more`` (name, function) pairs."""
    group = typer.Typer(help=HELP, no_args_is_help=True)
    for name, command in (
        ("synth", synth),
        ("demo", demo),
        ("predict-naive", predict_naive),
        ("render", render),
        *more,
    ):
        group.command(name)(command)
    return group

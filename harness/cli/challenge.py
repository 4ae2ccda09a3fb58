"""``harness challenge ...``: lay out a challenge from an organiser's bundle, check it, list them.

Exit codes: 0 ok, 1 the bundle or challenge has problems (all listed; nothing written by
``create``), 2 usage (a wrong option, a name that names nothing).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

challenge_app = typer.Typer(
    help="Lay out a challenge from an organiser's bundle (challenge.toml + data), check it, list challenges.",
    no_args_is_help=True,
)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: HARNESS_DATA_DIR, else ./var); challenges live in challenges/."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
WorkersOpt = Annotated[int | None, typer.Option(min=1, help="Threads that read and hash files (default: every core).")]


def _data_dir(value: Path | None) -> Path:
    if value is not None:
        return value
    from harness.settings import get_settings

    return get_settings().data_dir


@contextmanager
def _progress(enabled: bool):
    """A progress callback (stage, done, total) drawing a bar on stderr, or None when nobody watches."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:>11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _print_problems(problems, header: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=False, highlight=False)
    console.print(f"[bold red]{header}[/]")
    for p in problems:
        console.print(f"  [red]{p.code:>15}[/]  {escape(p.message)}")


def _print_notes(notes: list[str], warnings: list[str]) -> None:
    for note in notes:
        typer.echo(f"note: {note}")
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


@challenge_app.command("create")
def create(
    bundle: Annotated[
        Path,
        typer.Argument(
            exists=True, help="Bundle: a folder holding challenge.toml (and usually its data), or a zip of one."
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Challenge name (default: the bundle's 'name' key, else its folder or zip name)."),
    ] = None,
    data_dir: DataDirOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a challenge of the same name.")] = False,
    workers: WorkersOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a bundle's every file, then lay the challenge out under DATA_DIR/challenges/NAME.

    Nothing is written unless the whole bundle is right: every problem of every file is listed together.

    Inputs and training RAW are hard-linked from the bundle where the file system allows (copied otherwise); ground truth is copied and made readable by its owner only.

    Exit codes: 0 created, 1 the bundle has problems (nothing written), 2 usage.
    """
    from harness.bundles.build import create_challenge
    from harness.bundles.bundle import NAME_RE

    if name is not None and not NAME_RE.match(name):
        typer.echo(f"Error: --name {name!r} must be 1-64 letters, digits, '-' or '_'", err=True)
        raise typer.Exit(EXIT_USAGE)
    with _progress(not json_out) as progress:
        report = create_challenge(
            bundle, _data_dir(data_dir), name=name, replace=replace, workers=workers, progress=progress
        )
    if json_out:
        sys.stdout.write(report.model_dump_json() + "\n")
        raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEMS)
    if not report.ok:
        _print_problems(report.problems, f"{len(report.problems)} problem(s) in {bundle}: nothing was written")
        raise typer.Exit(EXIT_PROBLEMS)
    _print_notes(report.notes, report.warnings)
    _print_tracks(report)
    typer.echo(
        f"created {report.path} in {report.seconds:.1f} s: {report.linked} file(s) hard-linked, "
        f"{report.copied} copied (ground truth is always copied), {report.written} written; "
        "sha256 of each in MANIFEST.sha256"
    )


def _print_tracks(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"challenge {report.name}")
    for col in ("track", "patch", "grid", "black / white", "split", "kind", "visibility", "pairs", "whole images"):
        table.add_column(col)
    for t in report.tracks:
        for i, s in enumerate(t.splits):
            head = (
                [t.name, str(t.patch), "x".join(map(str, t.grid)) if t.grid else "-", f"{t.black:g} / {t.white:g}"]
                if i == 0
                else ["", "", "", ""]
            )
            full = f"{s.full} (patches cut)" if s.cut else str(s.full or "-")
            table.add_row(*head, s.name, s.kind, s.visibility, str(s.pairs), full)
    Console().print(table)


def _resolve(name: str, data_dir: Path | None) -> Path:
    from harness.challenge.spec import FILENAME

    as_path = Path(name)
    if ("/" in name or name in (".", "..")) and (as_path / FILENAME).is_file():
        return as_path
    root = _data_dir(data_dir) / "challenges" / name
    if not root.is_dir():
        typer.echo(
            f"Error: no challenge {name!r} under {root.parent} (harness challenge list shows them; "
            "a path to a challenge folder works too)",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    return root


@challenge_app.command("check")
def check(
    name: Annotated[
        str, typer.Argument(help="Challenge name (under DATA_DIR/challenges), or the path of a challenge folder.")
    ],
    data_dir: DataDirOpt = None,
    workers: WorkersOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-hash every file against MANIFEST.sha256 and validate the challenge again.

    Exit codes: 0 ok, 1 problems (all listed), 2 usage (no such challenge).
    """
    from harness.bundles.check import check_challenge

    root = _resolve(name, data_dir)
    with _progress(not json_out) as progress:
        report = check_challenge(root, workers=workers, progress=progress)
    if json_out:
        sys.stdout.write(report.model_dump_json() + "\n")
        raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEMS)
    _print_notes([], report.warnings)
    if not report.ok:
        _print_problems(report.problems, f"{len(report.problems)} problem(s) in {root}")
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(
        f"ok: {report.files} file(s) match MANIFEST.sha256, {report.pairs} pair(s) valid ({report.seconds:.1f} s)"
    )


@challenge_app.command("list")
def list_(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Every challenge under DATA_DIR/challenges: title, tracks, splits and their image counts.

    Exit codes: 0 ok, 1 a challenge.toml could not be read, 2 usage.
    """
    from harness.bundles.check import list_challenges

    entries = list_challenges(_data_dir(data_dir))
    broken = any(e.error for e in entries)
    if json_out:
        sys.stdout.write("[" + ",".join(e.model_dump_json() for e in entries) + "]\n")
        raise typer.Exit(EXIT_PROBLEMS if broken else EXIT_OK)
    from rich.console import Console
    from rich.table import Table

    if not entries:
        typer.echo(f"no challenge under {_data_dir(data_dir) / 'challenges'}")
        raise typer.Exit(EXIT_OK)
    table = Table()
    for col in ("challenge", "title", "track", "split", "kind", "visibility", "images", "whole images"):
        table.add_column(col)
    for e in entries:
        if e.error:
            table.add_row(e.name, f"[red]{e.error}[/]", "", "", "", "", "", "")
            continue
        first = True
        for t in e.tracks:
            for s in t.splits:
                table.add_row(
                    e.name if first else "",
                    (e.title or "") if first else "",
                    t.name,
                    s.name,
                    s.kind,
                    s.visibility,
                    str(s.images),
                    str(s.full or "-"),
                )
                first = False
    Console().print(table)
    raise typer.Exit(EXIT_PROBLEMS if broken else EXIT_OK)


@challenge_app.command("example")
def example(
    out: Annotated[Path, typer.Argument(help="Folder to write the example bundle into (must not exist or be empty).")],
    seed: Annotated[int, typer.Option(help="Random seed of the demo generator.")] = 0,
    scale: Annotated[
        float, typer.Option(min=0.25, max=4, help="Size of the sets (as harness data demo --scale).")
    ] = 0.5,
) -> None:
    """Write an example bundle in the AIM 2022 layout (data from the demo generator) to try `create` on."""
    from harness.sim.bundle_example import write_example_bundle

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        typer.echo(f"Error: {out} exists and is not an empty folder", err=True)
        raise typer.Exit(EXIT_USAGE)
    bundle = write_example_bundle(out, seed=seed, scale=scale)
    typer.echo(f"wrote the example bundle {bundle} (its README.md explains it); try:")
    typer.echo(f"  harness challenge create {bundle} --name example && harness challenge check example")

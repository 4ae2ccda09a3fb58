"""``harness baselines``: list, train, run and measure the reference methods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

baselines_app = typer.Typer(
    help="Reference methods: method cards, training, runs recorded on the leaderboard.", no_args_is_help=True
)

TrackOpt = Annotated[str, typer.Option("--track", "-t", help="Track (e.g. s7, p20).")]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu, cuda or auto (CUDA when present).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _service():
    from leaderboard.jobs import _context  # lazy: the harness CLI imports the service only here

    return _context().service


@baselines_app.command("list")
def list_methods(
    as_json: JsonOpt = False,
    track: Annotated[str, typer.Option("--track", "-t", help="Track whose patch size the MACs are counted at.")] = "s7",
) -> None:
    """Method cards with params and MACs measured on a patch of the track (meta device: no arithmetic)."""
    from rich.console import Console
    from rich.table import Table

    from baselines import registry
    from baselines.protocol import static_profile
    from harness.demo import demo_spec

    spec = demo_spec()
    try:
        track_spec = spec.track(track)
    except KeyError:
        _fail(f"unknown track {track!r}; choose from {', '.join(t.name for t in spec.tracks)}")
    rows = []
    for name in registry.names():
        card = registry.get(name).card
        used, frozen, defined, macs = static_profile(
            registry.get(name).build(track_spec), track_spec.rgb_patch, card.multiple
        )
        rows.append(
            {
                **card.model_dump(mode="json"),
                "measured": {
                    "track": track,
                    "params": used,
                    "params_frozen": frozen,
                    "params_defined": defined,
                    "macs_g": macs / 1e9,
                    "input": track_spec.rgb_patch,
                },
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"baselines (measured on a {track_spec.rgb_patch}x{track_spec.rgb_patch} {track} patch)")
    for col in ("name", "kind", "fid.", "params", "frozen", "GMACs", "reported", "ED/ENS/FR", "pad to"):
        table.add_column(
            col, justify="right" if col in ("params", "frozen", "GMACs") else "left", no_wrap=col != "reported"
        )
    for r in rows:
        m = r["measured"]
        reported = (
            " / ".join(
                x
                for x in (
                    f"{r['reported_params_m']} M" if r["reported_params_m"] is not None else "",
                    f"{r['reported_runtime_ms']} ms" if r["reported_runtime_ms"] else "",
                    r["reported_gpu"] or "",
                )
                if x
            )
            or "-"
        )
        flags = "/".join("y" if r[k] else "n" for k in ("extra_data", "ensemble", "full_resolution"))
        table.add_row(
            r["name"],
            r["kind"],
            r["fidelity"],
            f"{m['params']:,}",
            f"{m['params_frozen']:,}",
            f"{m['macs_g']:.1f}",
            reported,
            flags,
            str(r["multiple"]),
        )
    import sys

    console = Console(width=None if sys.stdout.isatty() else 150)
    console.print(table)
    from baselines import reported

    table_name = spec.reference or "aim2022"
    only = [t.team for t in reported.load(table_name).teams if not t.method]
    if only:
        console.print(
            f"Reported, not re-run ({table_name}: no public code or description to re-implement): "
            f"{', '.join(only)}. See `harness baselines reported`."
        )


@baselines_app.command("reported")
def reported_cmd(
    table_name: Annotated[
        str, typer.Option("--table", help="Reference table (shipped: baselines/tables).")
    ] = "aim2022",
    file: Annotated[
        Path | None, typer.Option("--file", help="Read this table file instead (e.g. one with score cells filled).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A past edition's reported team table: params, runtime, GPU, ED/ENS/FR, scores; none of it re-run."""
    from rich.console import Console
    from rich.table import Table

    from baselines import reported

    try:
        ref = reported.load_file(file) if file else reported.load(table_name)
    except reported.ReferenceError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(ref.model_dump_json(indent=2))
        return
    table = Table(title=f"{ref.title}: reported, not re-run", caption=ref.source)
    for col in ("team", "tracks", "params (M)", "runtime (ms)", "GPU", "ED/ENS/FR", "re-implemented as", "scores"):
        table.add_column(col, justify="right" if col in ("params (M)", "runtime (ms)") else "left")

    def flag(v: bool | None) -> str:
        return "?" if v is None else ("y" if v else "n")

    for t in ref.teams:
        scores = "; ".join(
            f"{track}/{split} {sc.psnr:.2f}/{sc.ssim:.4f}"
            for track, by_split in t.scores.items()
            for split, sc in by_split.items()
        )
        table.add_row(
            t.team,
            ",".join(t.tracks or ref.tracks),
            f"{t.params_m:g}" if t.params_m is not None else "-",
            f"{t.runtime_ms:g}" if t.runtime_ms is not None else "-",
            t.gpu or "-",
            "/".join(flag(v) for v in (t.extra_data, t.ensemble, t.full_resolution)),
            t.method or "reported, not re-run",
            scores or "n/a (not in the harness's sources)",
        )
    import sys

    Console(width=None if sys.stdout.isatty() else 160).print(table)


@baselines_app.command("train")
def train_cmd(
    name: Annotated[str, typer.Argument(help="Method name (see `harness baselines list`).")],
    track: TrackOpt,
    steps: Annotated[int | None, typer.Option(min=1, help="Optimiser steps.")] = None,
    epochs: Annotated[
        float | None, typer.Option(min=0, help="Epochs (one epoch = one crop per training pair).")
    ] = None,
    minutes: Annotated[float | None, typer.Option(min=0, help="Wall-clock budget in minutes.")] = None,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same device: same weights).")] = 0,
    device: DeviceOpt = "auto",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Weights file (default: under the data dir).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a learned method (or fit upi-calibrated) on the challenge's train split; writes safetensors + sha256."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from baselines import registry
    from leaderboard.baselines import train_baseline

    try:
        method = registry.get(name)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    if method.fit is None and method.card.kind != "learned":
        _fail(f"{name} is model-based with nothing to fit; run it directly")
    if method.fit is None and steps is None and epochs is None and minutes is None:
        _fail("give a budget: --steps, --epochs or --minutes")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TimeElapsedColumn(),
        disable=as_json,
    ) as bar:
        task = bar.add_task(f"training {name} on {track}", total=steps, loss=float("nan"))

        def progress(step: int, total: int | None, loss: float) -> None:
            bar.update(task, completed=step, total=total, loss=loss)

        try:
            result = train_baseline(
                _service(),
                name,
                track,
                steps=steps,
                epochs=epochs,
                minutes=minutes,
                seed=seed,
                device=device,
                out=out,
                on_progress=progress,
            )
        except (KeyError, ValueError, FileNotFoundError) as exc:
            _fail(str(exc.args[0]) if exc.args else str(exc))
    if as_json:
        typer.echo(result.model_dump_json(indent=2, exclude={"losses"}))
        return
    typer.echo(
        f"{name}/{track}: {result.steps} steps in {result.seconds:.1f} s, loss {result.loss_first} -> "
        f"{result.loss_last}\nweights {result.weights}\nsha256  {result.sha256}"
    )


@baselines_app.command("run")
def run_cmd(
    name: Annotated[str, typer.Argument(help="Method name.")],
    track: TrackOpt,
    split: Annotated[str, typer.Option("--split", "-s", help="Test split.")] = "test1",
    device: DeviceOpt = "auto",
    weights: Annotated[
        Path | None, typer.Option(help="Weights (safetensors; default: the trained ones under the data dir).")
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="patches, or full (stitched full-resolution images, then the 6x8 grid).")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record/--no-record", help="Record the run on the leaderboard (database).")
    ] = True,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Keep the prediction folder here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict a split, measure params/MACs/runtime, score, and record a baseline row on the leaderboard."""
    from rich.progress import Progress

    from baselines.weights import WeightsError
    from leaderboard.baselines import run_baseline

    try:
        with Progress(disable=as_json) as bar:
            task = bar.add_task(f"{name} on {track}/{split}", total=None)
            result = run_baseline(
                _service(),
                name,
                track,
                split,
                device=device,
                weights=weights,
                mode=mode,
                record=record,
                out_dir=out,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (KeyError, ValueError, WeightsError, FileNotFoundError) as exc:
        _fail(str(exc.args[0]) if exc.args else str(exc))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    m = result.measurement
    typer.echo(
        f"{name} on {track}/{split} ({result.mode}, {m.device_name}): {result.status}"
        + (f", PSNR {result.psnr:.2f} dB, SSIM {result.ssim:.4f} over {result.n_images} images" if result.psnr else "")
        + f"\nparams {m.params:,} (frozen {m.params_frozen:,}), {m.macs_patch / 1e9:.1f} GMACs per {m.input_patch[0]} px patch, "
        f"{m.runtime_patch_ms:.1f} ms per patch"
        + (f", {m.runtime_full_ms / 1000:.2f} s per full-resolution image" if m.runtime_full_ms else "")
        + (f"\nrecorded as submission {result.submission_id}" if result.submission_id else "")
    )
    if result.status == "failed":
        raise typer.Exit(1)


@baselines_app.command("measure")
def measure_cmd(
    name: Annotated[str, typer.Argument(help="Method name.")],
    track: TrackOpt,
    device: DeviceOpt = "auto",
    full: Annotated[
        bool, typer.Option("--full/--no-full", help="Also time one full-resolution image (slow on CPU).")
    ] = False,
    repeats: Annotated[int | None, typer.Option(min=1, help="Timed repeats (default: 50 on CUDA, 3 on CPU).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The measurement protocol alone (random weights cost the same as trained ones)."""
    from baselines import registry
    from baselines.protocol import measure
    from harness.demo import demo_spec
    from leaderboard.baselines import pick_device

    try:
        method = registry.get(name)
        track_spec = demo_spec().track(track)
        dev = pick_device(device)
    except (KeyError, ValueError) as exc:
        _fail(str(exc.args[0]))
    m = measure(
        method.build(track_spec),
        method=name,
        track=track_spec,
        device=dev,
        multiple=method.card.multiple,
        repeats=repeats,
        full=full,
    )
    typer.echo(m.model_dump_json(indent=2) if as_json else "\n".join(f"{k}: {v}" for k, v in m.model_dump().items()))


@baselines_app.command("enqueue")
def enqueue_cmd(
    name: Annotated[str, typer.Argument(help="Method name.")],
    track: TrackOpt,
    server: Annotated[str, typer.Option("--server", help="Base URL of the service.")],
    token: Annotated[str, typer.Option("--token", envvar="HARNESS_ORGANIZER_TOKEN", help="Organiser token.")],
    split: Annotated[str, typer.Option("--split", "-s", help="Test split.")] = "test1",
    train_minutes: Annotated[
        float | None, typer.Option(min=0, help="Train first (when no weights exist) for this long.")
    ] = None,
    device: DeviceOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Queue a baseline run on a service's `gpu` workers (organisers)."""
    import httpx

    body = {"method": name, "track": track, "split": split, "device": device}
    if train_minutes:
        body["train"] = {"minutes": train_minutes}
    try:
        r = httpx.post(
            f"{server.rstrip('/')}/api/organiser/baselines",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        _fail(f"cannot reach {server}: {exc}", 1)
    if r.status_code != 202:
        _fail(
            f"{r.status_code}: {r.json().get('detail') if r.headers.get('content-type', '').startswith('application/json') else r.text[:200]}",
            1,
        )
    typer.echo(
        json.dumps(r.json())
        if as_json
        else f"queued {name} on {track}/{split}: job {r.json()['job_id']} ({r.json()['queue']})"
    )

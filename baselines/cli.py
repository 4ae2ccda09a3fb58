"""``harness baselines``: the offline commands (list, reported, train, measure); no database.

The service adds ``run`` (recorded on the leaderboard) and ``enqueue`` (``leaderboard.cli``).
"""

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


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


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
    from harness.sim.demo import demo_spec

    spec = demo_spec()
    try:
        track_spec = spec.track(track)
    except KeyError:
        fail(f"unknown track {track!r}; choose from {', '.join(t.name for t in spec.tracks)}")
    rows = []
    side = track_spec.patch if track_spec.forward else track_spec.rgb_patch
    for name in registry.names_for(track_spec):  # the methods of the track's kind (reverse or forward)
        card = registry.get(name).card
        used, frozen, defined, macs = static_profile(
            registry.get(name).build(track_spec), side, card.multiple, forward=track_spec.forward
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
                    "input": side,
                },
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(
        title=f"baselines (measured on a {side}x{side} {track} {'RAW ' if track_spec.forward else ''}patch)",
        caption=(
            "fid. = fidelity of the re-implementation: A exact network, B network exact / training incomplete, "
            "C from the paper, D reported only. reported = the challenge report's params / runtime / GPU; "
            "ED/ENS/FR = extra data / ensemble / full resolution (y/n); pad to = input multiple (RGB px)."
        ),
        caption_justify="left",
    )
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
    except reported.ReferenceTableError as exc:
        fail(str(exc))
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
            scores or "-",
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
    seed: Annotated[
        int | None, typer.Option(help="Seed (default: the recipe's; same seed, same device: same weights).")
    ] = None,
    device: DeviceOpt = "auto",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Weights file (default: under the data dir).")] = None,
    half: Annotated[bool, typer.Option("--half", help="Store float16 weights (as the package ships them).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train a learned method (or fit upi-calibrated) on the challenge's train split; writes safetensors + sha256.

    Without --steps, --epochs or --minutes it follows the method's recipe (its card: crop, steps,
    batch, lr schedule, loss, seed). Beside the weights, <name>.train.json records the budget,
    steps, wall time, device and loss curve.

    The challenge is HARNESS_DATA_DIR/challenges/HARNESS_CHALLENGE (default ./var, demo).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from baselines import registry
    from baselines.workflow import train_method, weights_path
    from harness.challenge import ChallengeLayout, load_challenge
    from harness.settings import get_settings

    try:
        method = registry.get(name)
    except KeyError as exc:
        fail(str(exc.args[0]))
    if method.fit is None and method.card.kind != "learned":
        fail(f"{name} is model-based with nothing to fit; run it directly")
    recipe, budget = method.card.recipe_for(track), (steps, epochs, minutes) != (None, None, None)
    if method.fit is None and not budget and (recipe is None or recipe.steps is None):
        fail(f"{name} has no recipe steps; give a budget: --steps, --epochs or --minutes")
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
            settings = get_settings()
            layout = ChallengeLayout.under(settings.data_dir, settings.challenge)
            spec = load_challenge(layout.root)
            result = train_method(
                name,
                spec.track(track),
                layout,
                out or weights_path(settings.data_dir, spec.name, name, track),
                steps=steps,
                epochs=epochs,
                minutes=minutes,
                seed=seed,
                device=device,
                half=half,
                on_progress=progress,
            )
        except (KeyError, ValueError, OSError) as exc:
            fail(str(exc.args[0]) if exc.args else str(exc))
    if as_json:
        typer.echo(result.model_dump_json(indent=2, exclude={"losses"}))
        return
    typer.echo(
        f"{name}/{track}: {result.steps} steps ({result.budget}) in {result.seconds:.1f} s on {result.device}, "
        f"loss {result.loss_first} -> {result.loss_last}\nweights {result.weights}\nsha256  {result.sha256}"
        + (f"\nrecord  {result.record}" if result.record else "")
    )


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
    from baselines.workflow import pick_device
    from harness.sim.demo import demo_spec

    try:
        method = registry.get(name)
        track_spec = demo_spec().track(track)
        dev = pick_device(device)
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]))
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


@baselines_app.command("export")
def export_cmd(
    name: Annotated[str, typer.Argument(help="Method name.")],
    track: TrackOpt,
    onnx: Annotated[
        Path,
        typer.Option("--onnx", help="Output: model.onnx (manifest.toml is written beside it) or a .zip to upload."),
    ],
    weights: Annotated[
        Path | None,
        typer.Option(help="Safetensors weights (default: the trained ones under the data dir, else random weights)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a method to ONNX as a team would upload it (dynamic H and W; random weights cost the same)."""
    from baselines import registry
    from baselines.onnx_export import ExportError, export_method
    from baselines.weights import WeightsError
    from baselines.workflow import weights_path
    from harness.challenge import ChallengeLayout, load_challenge
    from harness.settings import get_settings
    from harness.sim.demo import demo_spec

    settings = get_settings()
    layout = ChallengeLayout.under(settings.data_dir, settings.challenge)
    try:
        registry.get(name)
        spec = load_challenge(layout.root) if layout.root.is_dir() else demo_spec()
        track_spec = spec.track(track)
    except (KeyError, ValueError, OSError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    if weights is None:
        trained = weights_path(settings.data_dir, spec.name, name, track)
        weights = trained if trained.exists() else None
    try:
        result = export_method(name, track_spec, onnx, weights=weights)
    except (ExportError, WeightsError) as exc:
        fail(f"{name}: {exc}", 1)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(
        f"{name}/{track}: {result.onnx} ({result.bytes:,} bytes, {result.exporter} exporter, opset {result.opset})\n"
        f"params {result.params:,} (protocol {result.params_protocol:,}); onnxruntime vs PyTorch max "
        f"{result.max_abs_diff:.2g} at {result.verified_at}\nsha256 {result.sha256}"
        + "".join(f"\nnote: {n}" for n in result.notes)
    )

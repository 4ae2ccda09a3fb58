"""``harness baselines``: the offline commands plus ``run`` (recorded on the leaderboard) and ``enqueue``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from baselines.cli import DeviceOpt, JsonOpt, TrackOpt, baselines_app, fail


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
    onnx: Annotated[
        bool,
        typer.Option(
            "--onnx/--no-onnx",
            help="Also export it to ONNX with the same weights and time the export as a team's model is timed "
            "(the model child, ONNX Runtime): a second runtime figure on its row.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Predict a split, measure params/MACs/runtime, score, and record a baseline row on the leaderboard."""
    from rich.progress import Progress

    from baselines.weights import WeightsError
    from leaderboard.context import process_context

    try:
        with Progress(disable=as_json) as bar:
            task = bar.add_task(f"{name} on {track}/{split}", total=None)
            result = process_context().baselines.run(
                name,
                track,
                split,
                device=device,
                weights=weights,
                mode=mode,
                record=record,
                out_dir=out,
                onnx=onnx,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (KeyError, ValueError, WeightsError, FileNotFoundError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
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
        + (f"\n{_onnx_line(result.onnx)}" if result.onnx is not None else "")
    )
    if result.status == "failed":
        raise typer.Exit(1)


def _onnx_line(report: dict) -> str:
    """The ONNX export's timing by the team-model path, in one line."""
    if not report.get("ok"):
        errors = report.get("errors") or [{"message": "the ONNX run failed"}]
        return f"onnx: not timed: {errors[0]['message']}"
    return (
        f"onnx: {report['runtime_patch_ms']:.1f} ms per patch in onnxruntime {report['onnxruntime_version']} "
        f"({report['device']}, {report['threads']} threads, the team-model path)"
    )


@baselines_app.command("enqueue")
def enqueue_cmd(
    name: Annotated[str, typer.Argument(help="Method name.")],
    track: TrackOpt,
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar=["HARNESS_ORGANISER_TOKEN", "HARNESS_ORGANIZER_TOKEN", "HARNESS_TOKEN"],
            help="Organiser token.",
        ),
    ],
    server: Annotated[
        str, typer.Option("--server", envvar="HARNESS_SERVER", help="Base URL of the service.")
    ] = "http://127.0.0.1:8000",
    split: Annotated[str, typer.Option("--split", "-s", help="Test split.")] = "test1",
    train_minutes: Annotated[
        float | None, typer.Option(min=0, help="Train first (when no weights exist) for this long.")
    ] = None,
    device: DeviceOpt = "auto",
    onnx: Annotated[
        bool, typer.Option("--onnx/--no-onnx", help="Also time its ONNX export as a team's model is timed.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue a baseline run on a service's `gpu` workers (organisers)."""
    import httpx

    body = {"method": name, "track": track, "split": split, "device": device, "onnx": onnx}
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
        fail(f"cannot reach {server}: {exc}", 1)
    if r.status_code != 202:
        fail(
            f"{r.status_code}: {r.json().get('detail') if r.headers.get('content-type', '').startswith('application/json') else r.text[:200]}",
            1,
        )
    typer.echo(
        json.dumps(r.json())
        if as_json
        else f"queued {name} on {track}/{split}: job {r.json()['job_id']} ({r.json()['queue']})"
    )

"""Client commands for participants: register a team, submit predictions, download a split's data."""

from __future__ import annotations

import io
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Annotated

import typer

from harness.predictions import write_predictions
from harness_client import routes
from harness_client.schemas import FILE_FIELD, TeamCreate, form_fields

team_app = typer.Typer(help="Teams on a running leaderboard service.", no_args_is_help=True)

ServerOpt = Annotated[str, typer.Option("--server", envvar="HARNESS_SERVER", help="Base URL of the service.")]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _detail(resp) -> str:
    try:
        return str(resp.json().get("detail"))
    except ValueError:
        return resp.text[:200]


@team_app.command("create")
def team_create(
    name: Annotated[str, typer.Argument(help="Team name.")],
    server: ServerOpt = "http://127.0.0.1:8000",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the token.")] = False,
) -> None:
    """Register a team; prints its token (keep it: it authorises the team's submissions)."""
    import httpx

    try:
        body = TeamCreate.model_construct(name=name).model_dump()  # the service normalises and judges the name
        resp = httpx.post(routes.REGISTER_TEAM.url(server), json=body, timeout=30)
    except httpx.HTTPError as exc:
        _fail(f"cannot reach {server}: {exc}")
    if resp.status_code != 201:
        _fail(f"{resp.status_code}: {_detail(resp)}")
    doc = resp.json()
    typer.echo(doc["token"] if quiet else json.dumps(doc))


def zip_predictions(path: Path) -> bytes:
    """A zip of a prediction folder (its .npy files, .png on a forward track, and readme.txt at the top), or the zip itself."""
    if path.is_file():
        return path.read_bytes()
    buf = io.BytesIO()
    write_predictions(path, buf, compression=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def model_upload(model: Path, manifest: Path | None, external: list[Path]) -> tuple[str, bytes]:
    """What a model submission sends: a zip as it is, or model.onnx (+ manifest.toml, external data) zipped."""
    if model.suffix.lower() == ".zip":
        if manifest or external:
            raise typer.BadParameter("a zipped model carries its manifest and external data inside")
        return model.name, model.read_bytes()
    if manifest is None and not external:
        return "model.onnx", model.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(model, "model.onnx")
        if manifest is not None:
            zf.write(manifest, "manifest.toml")
        for f in external:
            zf.write(f, f.name)  # external data lives beside model.onnx, under the name the graph gives
    return "model.zip", buf.getvalue()


def submit(
    token: Annotated[str, typer.Option(envvar="HARNESS_TOKEN", help="The team's token.")],
    track: Annotated[str, typer.Option(help="Track name.")],
    split: Annotated[str, typer.Option(help="Split name.")],
    predictions: Annotated[
        Path | None, typer.Argument(help="Prediction folder or zip file (or use --model).", exists=True)
    ] = None,
    server: ServerOpt = "http://127.0.0.1:8000",
    extra_data: Annotated[bool, typer.Option(help="ED: trained with extra data.")] = False,
    ensemble: Annotated[bool, typer.Option(help="ENS: ensemble or test-time augmentation.")] = False,
    full_resolution: Annotated[bool, typer.Option(help="FR: runs on full-resolution images.")] = False,
    params_m: Annotated[float | None, typer.Option(help="Parameters, millions.")] = None,
    runtime_s: Annotated[float | None, typer.Option(help="Runtime per image, seconds.")] = None,
    device: Annotated[str | None, typer.Option(help="cpu or gpu.")] = None,
    description: Annotated[str, typer.Option(help="Method description.")] = "",
    input_size: Annotated[str | None, typer.Option(help="Input size, e.g. '504x504 patches' (report Table 2).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs (report Table 2).")] = None,
    gpu: Annotated[str | None, typer.Option(help="Hardware of the runtime figure, e.g. V100 (report Table 2).")] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="Submit a model instead: model.onnx, or a zip of model.onnx + manifest.toml.", exists=True),
    ] = None,
    manifest: Annotated[
        Path | None, typer.Option(help="manifest.toml of --model (input/output, multiple, mode).", exists=True)
    ] = None,
    external: Annotated[
        list[Path] | None, typer.Option(help="External-data file of --model (repeat).", exists=True)
    ] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until scored or failed.")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="Print the final submission as JSON.")] = False,
) -> None:
    """Upload predictions (or a model the service runs) to a running service.

    Exit codes: 0 scored (or accepted), 1 failed or refused.
    """
    import httpx

    if (predictions is None) == (model is None):
        _fail("give either a prediction folder/zip or --model")
    base = server.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    data = form_fields(
        track=track,
        split=split,
        kind="model" if model is not None else None,
        extra_data=extra_data,
        ensemble=ensemble,
        full_resolution=full_resolution,
        description=description,
        params_m=params_m,
        runtime_s=runtime_s,
        device=device,
        input_size=input_size,
        epochs=epochs,
        gpu=gpu,
    )
    if model is not None:
        name, blob = model_upload(model, manifest, external or [])
        upload = (name, blob, "application/octet-stream")
    else:
        upload = ("predictions.zip", zip_predictions(predictions), "application/zip")
    try:
        resp = httpx.post(
            routes.SUBMIT.url(base),
            headers=headers,
            data=data,
            files={FILE_FIELD: upload},
            timeout=600,
        )
    except httpx.HTTPError as exc:
        _fail(f"cannot reach {server}: {exc}")
    if resp.status_code != 202:
        _fail(f"{resp.status_code}: {_detail(resp)}")
    sub = resp.json()
    doc = sub
    while wait and doc["status"] not in ("scored", "failed"):
        time.sleep(0.3)
        doc = httpx.get(routes.SUBMISSION.url(base, submission_id=sub["id"]), headers=headers, timeout=30).json()
    if json_out:
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        typer.echo(f"submission {doc['id']}: {doc['status']}")
        for split_name, s in doc.get("scores", {}).items():
            typer.echo(f"  {split_name}: PSNR {s['psnr']:.4f}  SSIM {s['ssim']:.6f}  ({s['n_images']} images)")
        if doc.get("results_hidden") and doc["status"] != "failed":
            typer.echo(
                f"  {doc['split']} is a hidden split: the result stays with the organisers until they reveal it"
                f" (follow it at {base}/submissions/{doc['id']})"
            )
        for e in doc.get("errors", []):
            typer.echo(f"  {e['code']}: {e['message']}")
    raise typer.Exit(1 if doc["status"] == "failed" else 0)


def download(
    track: Annotated[str, typer.Option(help="Track name.")],
    split: Annotated[str, typer.Option(help="Split name.")],
    server: ServerOpt = "http://127.0.0.1:8000",
    kind: Annotated[
        str | None,
        typer.Option(
            help="inputs (a test split's RGB inputs), sample (a sample submission) or train (a training split's "
            "pairs); default: train for a training split, else inputs."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the zip; unpacked into OUT/<track>/<split>/.")
    ] = Path("data"),
    extract: Annotated[bool, typer.Option("--extract/--no-extract", help="Unpack the zip after checking it.")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
) -> None:
    """Download a split's data from a running service: resumes a partial download, checks the sha256 against
    the server's listing, unpacks it. Exit codes: 0 ok, 1 refused, unreachable or a sha256 mismatch, 2 usage."""
    from harness_client.download import run_download

    if kind is not None and kind not in ("inputs", "sample", "train"):
        typer.echo(f"Error: --kind is inputs, sample or train, not {kind!r}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run_download(server, track, split, kind, out, extract=extract, json_out=json_out))

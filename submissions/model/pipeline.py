"""The one entry point for model submissions: check an uploaded ONNX model, measure it, predict a split.

``run_model`` is what a job on the gpu queue calls. It never raises because of the upload or the
model: every problem is an error (code + message naming the file) in the returned report. It
takes no database and no settings; the caller passes the track, the split's folders, the limits
and the device, and stores the report (a pydantic model) as it likes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from harness.challenge import SplitLayout, TrackSpec
from harness.npyio import NpyError, read_header
from harness.problems import Problem
from submissions.model.check import check_in_child
from submissions.model.errors import ModelErrorCode, ModelRejected
from submissions.model.limits import ModelLimits
from submissions.model.manifest import ModelManifest
from submissions.model.sandbox import ChildInput, ChildRequest, isolation, run_child
from submissions.model.upload import open_upload


class ModelRunReport(BaseModel):
    """Everything measured about a model submission, or why it was refused / failed."""

    ok: bool
    errors: list[Problem] = []
    warnings: list[str] = []
    track: str
    split: str | None = None
    inputs: Literal["patches", "full"] = "patches"
    manifest: ModelManifest | None = None
    # static
    opset: int | None = None
    producer: str | None = None
    n_nodes: int | None = None
    op_counts: dict[str, int] = {}
    params: int | None = None  # elements of the initializers the graph uses
    params_constant: int | None = None  # elements of Constant nodes (buffers, folded constants), apart
    # measured in the child
    input_patch: tuple[int, int] | None = None  # RGB pixels, before padding to the multiple
    macs_patch: int | None = None
    macs_by_op: dict[str, int] = {}
    macs_unresolved: list[str] = []
    macs_onnx_tool: dict[str, int] | None = None  # onnx-tool's count of the same operator types
    macs_full: int | None = None
    runtime_patch_ms: float | None = None
    runtime_patch_spread_ms: float | None = None
    repeats: int = 0
    runtime_full_ms: float | None = None
    seconds_per_input: float | None = None
    peak_memory_mb: float | None = None  # the child's peak resident set (host memory)
    device: str = "cpu"
    device_name: str | None = None
    onnxruntime_version: str | None = None
    providers: list[str] = []
    threads: int | None = None
    # the predictions
    n_inputs: int = 0
    files: list[str] = []
    # containment
    network_isolated: bool = False
    isolation: list[str] = []  # what else held in the child: mount_namespace, private_root, uid 65534, no_new_privs
    isolation_note: str = ""
    check_peak_memory_mb: float | None = None  # the check child's peak resident set (the worker never parses)
    wall_s: float | None = None


def pick_device(device: str) -> str:
    """auto -> cuda when this onnxruntime has the CUDA execution provider, else cpu."""
    if device != "auto":
        return device
    try:
        import onnxruntime as ort

        return "cuda" if "CUDAExecutionProvider" in ort.get_available_providers() else "cpu"
    except ImportError:
        return "cpu"


def _inputs(split: SplitLayout | None, full: bool) -> list[Path]:
    if split is None:
        return []
    return split.full.rgb_files() if full else split.rgb_files()


def _check_outputs(folder: Path, files: list[str], label: str) -> list[Problem]:
    """The child's files are checked again here, header only: uint16, h x w x 4, C order."""
    errors = []
    for name in files:
        try:
            head = read_header(folder / name)
            ok = head.dtype.str == "<u2" and len(head.shape) == 3 and head.shape[2] == 4 and not head.fortran_order
        except NpyError:
            ok = False
        if not ok or "/" in name or name.startswith("."):
            errors.append(
                Problem(
                    file=label,
                    code=ModelErrorCode.WRONG_OUTPUT_SHAPE,
                    message=f"{label}: prediction {name} is not a uint16 h x w x 4 array",
                )
            )
    return errors


def run_model(
    upload: Path,
    track: TrackSpec,
    split: SplitLayout | None,
    out_dir: Path | None,
    *,
    full: bool = False,
    limits: ModelLimits | None = None,
    device: str = "auto",
    measure_full: bool = False,
    work_root: Path | None = None,
) -> ModelRunReport:
    """Check, measure and run an uploaded model (``.onnx`` or a zip with ``model.onnx`` + ``manifest.toml``).

    - ``split``: the inputs to predict (its patches, or with ``full`` its full-resolution images,
      each cut into the track's grid: ``<image>_<k>.npy``); None measures only.
    - ``out_dir``: where ``<stem>.npy`` predictions go, only once every one of them is written and
      checked; on failure nothing is left there, nor anywhere else (the private folder is removed).
    - ``measure_full``: also count MACs and time one full-resolution image (slow on a CPU).
    - ``device``: cpu, cuda or auto; ``work_root``: where the private folder is made (default: TMPDIR).
    """
    limits = limits or ModelLimits()
    device = pick_device(device)
    report = ModelRunReport(
        ok=False, track=track.name, split=split.root.name if split else None, inputs="full" if full else "patches"
    )
    report.device = device
    upload = Path(upload)
    work = Path(tempfile.mkdtemp(prefix="model-run-", dir=work_root))
    created: list[Path] = []
    try:
        try:
            bundle = open_upload(upload, work / "model", limits)
            report.manifest = bundle.manifest
            checked = check_in_child(work, bundle.model, bundle.folder, bundle.manifest, bundle.label, limits)
            report.check_peak_memory_mb = checked.peak_memory_mb
            if checked.errors:
                raise ModelRejected(checked.errors)
            info = checked.info
        except ModelRejected as exc:
            report.errors = exc.errors
            return report
        report.opset, report.producer, report.n_nodes = info.opset, info.producer, info.n_nodes
        report.op_counts, report.params, report.params_constant = info.op_counts, info.params, info.params_constant
        paths = _inputs(split, full)
        if split is not None and not paths:
            where = split.full.rgb if full else split.rgb
            report.errors = [Problem(file=str(where), code=ModelErrorCode.NO_INPUTS, message=f"{where}: no inputs")]
            return report
        (work / "inputs").mkdir()
        items = []
        for i, src in enumerate(paths):
            dest = work / "inputs" / f"{i:06d}{src.suffix.lower()}"  # copies: the child never sees the challenge
            shutil.copyfile(src, dest)
            items.append(ChildInput(path=str(dest.relative_to(work)), stem=src.stem))
        threads = limits.threads or len(os.sched_getaffinity(0))
        request = ChildRequest(
            model=str(bundle.model.relative_to(work)),
            input_name=info.input_name,
            output_name=info.output_name,
            multiple=bundle.manifest.multiple,
            mode=bundle.manifest.mode,
            confine=limits.confine,
            inputs=items,
            full=full,
            grid=track.grid,
            patch=track.patch,
            measure_full=measure_full,
            device=device,
            threads=threads,
            warmup=limits.warmup,
            repeats=limits.repeats,
            crosscheck_macs=limits.crosscheck_macs,
            cpu_s=limits.cpu_s,
            address_space_bytes=limits.memory_mb << 20 if device == "cpu" else None,
            file_size_bytes=limits.max_output_file_bytes,
            gpu_memory_bytes=limits.gpu_memory_mb << 20,
        )
        outcome = run_child(work, request, limits, bundle.label)
        report.network_isolated, report.isolation_note = outcome.network_isolated, outcome.isolation_note
        report.isolation = outcome.isolation
        report.wall_s = outcome.wall_s
        res = outcome.result
        if res is not None:
            report.warnings += res.warnings
            for key in (
                "macs_patch", "macs_by_op", "macs_unresolved", "macs_onnx_tool", "macs_full", "runtime_patch_ms",
                "runtime_patch_spread_ms", "repeats", "runtime_full_ms", "peak_memory_mb", "device_name",
                "onnxruntime_version", "providers", "threads",
            ):  # fmt: skip
                setattr(report, key, getattr(res, key))
            report.input_patch = (res.input_patch, res.input_patch) if res.input_patch else None
            report.seconds_per_input = sum(res.seconds) / len(res.seconds) if res.seconds else None
        if report.peak_memory_mb is None and outcome.peak_rss_mb:
            report.peak_memory_mb = outcome.peak_rss_mb
        if outcome.error is not None:
            report.errors = [outcome.error]
            return report
        report.n_inputs = len(items)
        files = res.files if res else []
        expected = len(items) * (track.grid[0] * track.grid[1] if full else 1)
        errors = _check_outputs(work / request.out, files, bundle.label)
        if len(files) != expected or len(set(files)) != len(files):
            errors.append(
                Problem(
                    file=bundle.label,
                    code=ModelErrorCode.MISSING_OUTPUTS,
                    message=f"{bundle.label}: {len(set(files))} predictions written for {expected} expected",
                )
            )
        if errors:
            report.errors = errors
            return report
        if out_dir is not None:
            out_dir = Path(out_dir)
            if not out_dir.exists():
                out_dir.mkdir(parents=True)
                created.append(out_dir)
            for name in files:
                target = out_dir / name
                shutil.move(work / request.out / name, target)
                created.append(target)
        report.files = files
        report.ok = True
        return report
    finally:
        if not report.ok:
            for path in reversed(created):  # files first, then the folder made for them
                path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["ModelRunReport", "isolation", "pick_device", "run_model"]

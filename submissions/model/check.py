"""The static checks, run in a sandboxed child so that the worker never parses an upload.

``check_in_child`` writes ``check.json`` into the private folder and starts
``python -m submissions.model.check check.json`` there, under the same confinement as the model's
run (``confine.enter``, network namespace, minimal environment) and with its own caps: an address
space of ``check_memory_mb`` plus three times the model file (the file is mapped, parsed, and read
again by the checker), ``check_cpu_s`` CPU seconds and ``check_wall_s`` of wall clock. Inside, the
child scans the wire format (sizes, depth, message counts: ``archive.load_model``), parses, and runs
``inspect.check_model``; it writes ``checked.json``: the model's :class:`ModelInfo`, or every problem.
Whatever the upload holds, the worker's own memory does not grow with it.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from pydantic import BaseModel

from harness.problems import Problem
from harness.procmem import peak_rss_mb
from submissions.model.confine import enter, limit_self
from submissions.model.errors import ModelErrorCode, ModelRejected, reject
from submissions.model.inspect import ModelInfo
from submissions.model.limits import ModelLimits
from submissions.model.manifest import ModelManifest
from submissions.model.sandbox import LOG, _tail, spawn

REQUEST = "check.json"
RESULT = "checked.json"
MAX_RESULT_BYTES = 4 << 20


class CheckRequest(BaseModel):
    model: str  # relative to the child's folder
    folder: str  # the upload's folder (external data), relative
    label: str
    manifest: ModelManifest
    limits: ModelLimits
    address_space_bytes: int
    confine: bool = True


class CheckResult(BaseModel):
    info: ModelInfo | None = None
    errors: list[Problem] = []
    peak_memory_mb: float | None = None  # the child's resident high-water mark (VmHWM)


def check_in_child(workdir: Path, model: Path, folder: Path, manifest: ModelManifest, label: str, limits: ModelLimits):
    """The child's :class:`CheckResult` (info, or the problems it found; its peak memory); raises
    ModelRejected when the child gave no result (too large to start, killed, crashed)."""
    size = model.stat().st_size
    if size > limits.max_model_bytes:  # before anything starts: the cheapest refusal
        raise reject(
            label,
            ModelErrorCode.MODEL_TOO_LARGE,
            f"{size} bytes exceed the {limits.max_model_bytes}-byte limit (put large weights in external data)",
        )
    request = CheckRequest(
        model=str(model.relative_to(workdir)),
        folder=str(folder.relative_to(workdir)),
        label=label,
        manifest=manifest,
        limits=limits,
        address_space_bytes=(limits.check_memory_mb << 20) + 3 * size,
        confine=limits.confine,
    )
    (workdir / REQUEST).write_text(request.model_dump_json())
    run = spawn(
        workdir,
        "submissions.model.check",
        REQUEST,
        wall_s=limits.check_wall_s,
        memory_mb=limits.check_memory_mb + 3 * (size >> 20),
        threads=1,
        network_isolation=limits.network_isolation,
    )
    result = _read(workdir / RESULT)
    if result is not None and (result.errors or result.info is not None):
        return result
    if run.killed == ModelErrorCode.WALL_TIME_LIMIT:
        raise reject(label, run.killed, f"the static checks passed the wall-clock limit of {limits.check_wall_s:g} s")
    if run.returncode == -signal.SIGXCPU:
        raise reject(label, ModelErrorCode.CPU_TIME_LIMIT, f"the static checks passed {limits.check_cpu_s} CPU seconds")
    log = _tail(workdir / LOG)
    if run.killed == ModelErrorCode.MEMORY_LIMIT or "MemoryError" in log or "bad_alloc" in log:
        raise reject(
            label,
            ModelErrorCode.MEMORY_LIMIT,
            f"the static checks need more memory than {limits.check_memory_mb} MiB + 3x the file",
        )
    raise reject(
        label, ModelErrorCode.CRASHED, f"the static checks gave no result (exit {run.returncode}): {log[-300:]}"
    )


def _read(path: Path) -> CheckResult | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_RESULT_BYTES:
            return None
        return CheckResult.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


def run(req: CheckRequest) -> CheckResult:
    from submissions.model.inspect import check_model
    from submissions.model.upload import load_model

    model, folder = Path(req.model).resolve(), Path(req.folder).resolve()
    try:
        parsed = load_model(model, req.label, req.limits)
        info = check_model(parsed, folder, req.manifest, req.label, req.limits, model)
        return CheckResult(info=info)
    except ModelRejected as exc:
        return CheckResult(errors=exc.errors)
    except MemoryError:
        return CheckResult(
            errors=[
                Problem(
                    file=req.label,
                    code=ModelErrorCode.MEMORY_LIMIT,
                    message=f"{req.label}: the static checks need more memory than {req.limits.check_memory_mb} "
                    "MiB + 3x the file",
                )
            ]
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    req = CheckRequest.model_validate(json.loads(Path(argv[0]).read_text()))
    enter(Path.cwd(), enabled=req.confine)
    limit_self(cpu_s=req.limits.check_cpu_s, address_space_bytes=req.address_space_bytes, file_size_bytes=16 << 20)
    res = run(req)
    res.peak_memory_mb = peak_rss_mb()
    tmp = Path(RESULT + ".tmp")
    tmp.write_text(res.model_dump_json())
    tmp.replace(RESULT)
    return 0


if __name__ == "__main__":
    sys.exit(main())

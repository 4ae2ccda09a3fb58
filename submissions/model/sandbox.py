"""The child process a model runs in, and the limits around it.

``spawn`` starts and supervises any child (the check child of ``check.py`` too). For a run, the
parent writes ``request.json`` into a private folder holding only copies of the model and of
the split's inputs, and starts ``python -m submissions.model.child request.json`` there:

- in a new session (its own process group, killed as a whole), with a minimal environment
  (no HARNESS_* settings, no tokens, HOME and TMPDIR inside the folder);
- in a new network namespace (``unshare --net``: no interface but a down loopback) where the
  kernel permits it (root, or unprivileged user namespaces with ``--map-root-user``); otherwise
  without, and the report says so;
- the child confines itself first (``confine.enter``: private mount namespace and root holding only
  its folder and read-only libraries, user 65534, no_new_privs; ``isolation.json`` records what held);
- the child limits itself before loading anything: CPU seconds (RLIMIT_CPU, SIGXCPU), address
  space (RLIMIT_AS, CPU runs only: CUDA reserves huge virtual ranges), file size (RLIMIT_FSIZE),
  no core files (RLIMIT_CORE 0);
- the parent kills the group past the wall-clock limit, and when the resident set passes the
  memory limit (the RLIMIT_AS backstop for GPU runs).

Every way a child can end (a result, an error it reports, a signal, a kill) becomes a result or one
precise error; the parent never raises because of the child.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from harness.model_contract import MARGIN, TILE
from harness.problems import Problem
from submissions.model.confine import ISOLATION, read_record
from submissions.model.errors import ModelErrorCode
from submissions.model.limits import ModelLimits

REQUEST = "request.json"
RESULT = "result.json"
PHASE = "phase.txt"
LOG = "child.log"
MAX_RESULT_BYTES = 4 << 20
PASS_ENV = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH")


class ChildInput(BaseModel):
    path: str  # relative to the child's folder
    stem: str


class ChildRequest(BaseModel):
    model: str
    input_name: str
    output_name: str
    multiple: int
    mode: str  # whole | patches (the manifest's)
    inputs: list[ChildInput] = []
    full: bool = False  # the inputs are full-resolution images, cut into the grid
    grid: tuple[int, int] = (6, 8)
    patch: int  # packed RAW patch side
    measure_full: bool = False
    out: str = "out"
    tile: int = TILE  # the model contract's
    margin: int = MARGIN
    device: str = "cpu"
    threads: int = 1
    warmup: int | None = None
    repeats: int | None = None
    crosscheck_macs: bool = True
    # limits the child sets on itself
    cpu_s: int
    address_space_bytes: int | None
    file_size_bytes: int
    gpu_memory_bytes: int
    confine: bool = True  # private root, unprivileged user, no_new_privs (``confine.enter``)


class ChildResult(BaseModel):
    ok: bool
    error: Problem | None = None
    onnxruntime_version: str = ""
    providers: list[str] = []
    device_name: str = ""
    threads: int = 0
    input_patch: int = 0  # RGB side, before padding
    macs_patch: int | None = None
    macs_by_op: dict[str, int] = {}
    macs_unresolved: list[str] = []
    macs_onnx_tool: dict[str, int] | None = None
    macs_full: int | None = None
    warnings: list[str] = []
    runtime_patch_ms: float | None = None
    runtime_patch_spread_ms: float | None = None
    repeats: int = 0
    runtime_full_ms: float | None = None
    peak_memory_mb: float | None = None
    files: list[str] = []
    seconds: list[float] = []


class ChildOutcome(BaseModel):
    result: ChildResult | None = None
    error: Problem | None = None
    wall_s: float
    network_isolated: bool
    isolation_note: str
    isolation: list[str] = []  # what else held: mount namespace, private root, uid, no_new_privs
    peak_rss_mb: float = 0.0


@functools.cache
def isolation() -> tuple[tuple[str, ...], str]:
    """(command prefix, note): how the child is cut off from the network on this machine."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return (), "no network isolation: the unshare command is not installed"
    for prefix in ((unshare, "--net"), (unshare, "--net", "--map-root-user")):
        try:
            ok = subprocess.run([*prefix, "--", "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return prefix, f"network namespace ({' '.join(prefix[1:])}): no network"
    return (), "no network isolation: the kernel refuses new network namespaces to this user"


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(path: Path, n: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - n))
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _child_env(workdir: Path, threads: int) -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]  # the folder holding the submissions package
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(root),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": str(threads),
    }
    env.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
    return env


@dataclass
class Spawned:
    """How a child process ended, seen from the parent."""

    returncode: int | None
    killed: ModelErrorCode | None
    peak_rss_mb: float
    wall_s: float
    network_isolated: bool
    note: str
    isolation: list[str]  # the steps of ``confine.enter`` that held, as the child recorded them


def spawn(
    workdir: Path, module: str, request: str, *, wall_s: float, memory_mb: int, threads: int, network_isolation: bool
) -> Spawned:
    """``python -m module request`` in ``workdir``, supervised: killed past ``wall_s`` or ``memory_mb`` resident."""
    prefix, note = isolation() if network_isolation else ((), "network isolation switched off")
    cmd = [*prefix, sys.executable, "-s", "-B", "-m", module, request]
    start = time.monotonic()
    peak = 0.0
    killed: ModelErrorCode | None = None
    rc: int | None = None
    with open(workdir / LOG, "ab") as log:
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=workdir,
                env=_child_env(workdir, threads),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return Spawned(None, ModelErrorCode.CRASHED, 0.0, 0.0, False, f"the child could not start ({exc})", [])
        try:
            while proc.poll() is None:
                rss = _rss_mb(proc.pid)
                peak = max(peak, rss)
                if time.monotonic() - start > wall_s:
                    killed = ModelErrorCode.WALL_TIME_LIMIT
                elif rss > memory_mb:
                    killed = ModelErrorCode.MEMORY_LIMIT
                if killed:
                    _kill(proc)
                    break
                time.sleep(0.05)
        finally:
            if proc.poll() is None:  # the parent itself is being interrupted: take the child down too
                _kill(proc)
        rc = proc.returncode
    held, notes = read_record(workdir)
    note = "; ".join([note, *notes])
    return Spawned(rc, killed, peak, time.monotonic() - start, bool(prefix), note, held)


def run_child(workdir: Path, request: ChildRequest, limits: ModelLimits, label: str) -> ChildOutcome:
    """Run the child on ``workdir`` under ``limits``; always returns (a result, or the reason it failed)."""
    (workdir / "tmp").mkdir(exist_ok=True)
    (workdir / REQUEST).write_text(request.model_dump_json())
    (workdir / ISOLATION).unlink(missing_ok=True)
    run = spawn(
        workdir,
        "submissions.model.child",
        REQUEST,
        wall_s=limits.wall_s,
        memory_mb=limits.memory_mb,
        threads=request.threads,
        network_isolation=limits.network_isolation,
    )

    def outcome(**kw) -> ChildOutcome:
        return ChildOutcome(
            wall_s=run.wall_s,
            network_isolated=run.network_isolated,
            isolation_note=run.note,
            isolation=run.isolation,
            peak_rss_mb=run.peak_rss_mb,
            **kw,
        )

    def fail(code: ModelErrorCode, message: str) -> ChildOutcome:
        phase = (workdir / PHASE).read_text()[:200] if (workdir / PHASE).exists() else "starting"
        return outcome(error=Problem(file=label, code=code, message=f"{label}: {message} (while {phase})"))

    if run.returncode is None and run.killed == ModelErrorCode.CRASHED:
        return fail(ModelErrorCode.CRASHED, run.note)
    if run.killed == ModelErrorCode.WALL_TIME_LIMIT:
        return fail(run.killed, f"killed after the wall-clock limit of {limits.wall_s:g} s")
    if run.killed == ModelErrorCode.MEMORY_LIMIT:
        return fail(
            run.killed, f"killed: resident memory {run.peak_rss_mb:.0f} MiB passed the limit of {limits.memory_mb} MiB"
        )
    rc = run.returncode
    result = _read_result(workdir / RESULT)
    if rc < 0:
        sig = signal.Signals(-rc)
        if sig == signal.SIGXCPU:
            return fail(ModelErrorCode.CPU_TIME_LIMIT, f"stopped by the CPU-time limit of {limits.cpu_s} s")
        log_tail = _tail(workdir / LOG)
        if "bad_alloc" in log_tail or "allocate" in log_tail.lower():
            return fail(
                ModelErrorCode.MEMORY_LIMIT,
                f"aborted on a failed allocation ({sig.name}) within {limits.memory_mb} MiB",
            )
        return fail(ModelErrorCode.CRASHED, f"crashed ({sig.name}){': ' + log_tail[-300:] if log_tail else ''}")
    if result is None:
        return fail(ModelErrorCode.CRASHED, f"exited with status {rc} and no result: {_tail(workdir / LOG)[-300:]}")
    if not result.ok and result.error is not None:
        error = Problem(file=label, code=result.error.code, message=f"{label}: {result.error.message}")
        return outcome(result=result, error=error)
    return outcome(result=result)


def _read_result(path: Path) -> ChildResult | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_RESULT_BYTES:
            return None
        return ChildResult.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None

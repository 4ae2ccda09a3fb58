"""What runs inside the sandboxed child: an onnxruntime session, MACs, timings and predictions.

``python -m submissions.model.child request.json``, in the private folder the parent prepared.
The child first confines itself (``confine.enter``: private root, unprivileged user,
no_new_privs), then limits itself (CPU seconds, address space, file size, no core files), then
loads the model. An output holding NaN or infinity ends the run with ``non_finite``. Prediction
is the model contract's (``harness.model_contract``, which the baselines follow too) with the
manifest's multiple and mode: input / 255, padded, full-resolution images in tiles with context
(mode "patches") or in one pass (mode "whole"), output cropped and quantised, then cut into the grid.
Timing follows ``baselines.protocol``: median of synchronised repeats after warm-up, per patch
(padding included) and per full-resolution image. The result goes to ``result.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from harness import model_contract as contract
from harness.problems import Problem
from harness.procmem import peak_rss_mb
from submissions.model.confine import enter, limit_self
from submissions.model.errors import ModelErrorCode
from submissions.model.sandbox import PHASE, RESULT, ChildRequest, ChildResult


class ChildFailure(Exception):
    def __init__(self, code: ModelErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _phase(text: str) -> None:
    Path(PHASE).write_text(text)


def _limit_self(req: ChildRequest) -> None:
    limit_self(cpu_s=req.cpu_s, address_space_bytes=req.address_space_bytes, file_size_bytes=req.file_size_bytes)


def _classify(exc: BaseException, req: ChildRequest) -> ChildFailure:
    if isinstance(exc, ChildFailure):
        return exc
    if isinstance(exc, contract.ContractError):
        return ChildFailure(ModelErrorCode.WRONG_OUTPUT_SHAPE, str(exc))
    text = str(exc)
    if isinstance(exc, MemoryError) or any(
        s in text.lower() for s in ("bad_alloc", "failed to allocate", "out of memory")
    ):
        limit = req.address_space_bytes or req.gpu_memory_bytes
        return ChildFailure(
            ModelErrorCode.MEMORY_LIMIT, f"needs more memory than the limit of {limit >> 20} MiB allows ({text[-200:]})"
        )
    if isinstance(exc, OSError) and exc.errno == 27:  # EFBIG
        return ChildFailure(ModelErrorCode.FILE_SIZE_LIMIT, "a file it wrote passed the file-size limit")
    return ChildFailure(ModelErrorCode.RUNTIME_ERROR, f"{type(exc).__name__}: {text[:500]}")


def _device_name(device: str, threads: int) -> str:
    if device == "cuda":
        try:
            out = subprocess.run(
                [
                    "nvidia-smi",
                    "--query-gpu=name",
                    "--format=csv,noheader",
                    "-i",
                    os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0],
                ],
                capture_output=True,
                text=True,
                timeout=10,
            )
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired):
            pass
        return "CUDA device"
    return f"{platform.processor() or platform.machine()} CPU, {threads} threads"


class Runner:
    """The session and the protocol's padded / tiled forward passes, in NumPy."""

    def __init__(self, req: ChildRequest) -> None:
        import onnxruntime as ort

        self.req = req
        so = ort.SessionOptions()
        so.intra_op_num_threads = req.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        if req.device == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ChildFailure(
                    ModelErrorCode.DEVICE_UNAVAILABLE,
                    f"CUDA was asked for but this onnxruntime ({ort.__version__}) has no CUDA execution provider",
                )
            cuda = {"device_id": 0, "gpu_mem_limit": req.gpu_memory_bytes, "arena_extend_strategy": "kSameAsRequested"}
            providers: list = [("CUDAExecutionProvider", cuda), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        _phase("loading the model")
        try:
            self.session = ort.InferenceSession(req.model, so, providers=providers)
        except Exception as exc:  # noqa: BLE001 - every load failure is reported, with its reason
            failure = _classify(exc, req)
            if failure.code == ModelErrorCode.RUNTIME_ERROR:
                failure = ChildFailure(ModelErrorCode.LOAD_FAILED, f"onnxruntime cannot load it: {str(exc)[:500]}")
            raise failure from None
        self.providers = self.session.get_providers()
        if req.device == "cuda" and self.providers[0] != "CUDAExecutionProvider":
            raise ChildFailure(ModelErrorCode.DEVICE_UNAVAILABLE, "the CUDA execution provider did not start")
        self.cuda = req.device == "cuda"
        self.ops = contract.numpy_ops()

    def forward(self, x: np.ndarray) -> np.ndarray:
        """model(x) on an already padded 1 x 3 x H x W input; checks the output shape."""
        if self.cuda:
            import onnxruntime as ort

            binding = self.session.io_binding()
            binding.bind_ortvalue_input(self.req.input_name, ort.OrtValue.ortvalue_from_numpy(x, "cuda", 0))
            binding.bind_output(self.req.output_name, "cpu")
            self.session.run_with_iobinding(binding)
            y = binding.copy_outputs_to_cpu()[0]
        else:
            y = self.session.run([self.req.output_name], {self.req.input_name: x})[0]
        expected = (1, 4, x.shape[2] // 2, x.shape[3] // 2)
        if not isinstance(y, np.ndarray) or y.shape != expected or y.dtype != np.float32:
            got = f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}"
            raise ChildFailure(
                ModelErrorCode.WRONG_OUTPUT_SHAPE,
                f"for an input of {x.shape[2]}x{x.shape[3]} the model returned {got}; expected float32 {expected}",
            )
        return y

    def padded(self, x: np.ndarray) -> np.ndarray:
        return contract.padded(self._forward, x, self.req.multiple, self.ops)

    def full(self, x: np.ndarray) -> np.ndarray:
        req = self.req
        return contract.tiled(
            self._forward, x, req.multiple, self.ops, tile=req.tile, margin=req.margin, whole=req.mode == "whole"
        )

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.forward(np.ascontiguousarray(x))

    def full_shapes(self, h: int, w: int) -> list[tuple[int, int]]:
        """The padded input sizes a full image is run at (one per tile)."""
        req = self.req
        return contract.run_shapes(h, w, req.multiple, tile=req.tile, margin=req.margin, whole=req.mode == "whole")


def check_finite(y: np.ndarray, stem: str) -> None:
    """NaN or infinity in an output is an error naming the image, never quietly clipped into zeros."""
    n_nan = int(np.count_nonzero(np.isnan(y)))
    n_inf = int(np.count_nonzero(np.isinf(y)))
    if n_nan or n_inf:
        raise ChildFailure(
            ModelErrorCode.NON_FINITE, f"prediction {stem}: the output holds {n_nan} NaN and {n_inf} infinite values"
        )


def _timed(fn, x: np.ndarray, warmup: int, repeats: int) -> list[float]:
    for _ in range(warmup):
        fn(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)  # synchronous: outputs are on the host when run() returns
        times.append((time.perf_counter() - t0) * 1000)
    return times


def _macs(req: ChildRequest, runner: Runner, res: ChildResult) -> None:
    import onnx

    from submissions.model.macs import count_macs, fold, macs_at, onnx_tool_macs

    side = 2 * req.patch
    p = side + -side % req.multiple
    _phase(f"counting MACs at {p}x{p}")
    model = Path(req.model)
    folded = fold(model, req.input_name, (1, 3, p, p), Path.cwd(), "patch")
    count = count_macs(
        onnx.shape_inference.infer_shapes(onnx.load(str(folded), load_external_data=False), data_prop=True)
    )
    res.macs_patch, res.macs_by_op, res.macs_unresolved = count.total, count.by_op, count.unresolved
    if req.crosscheck_macs:
        try:
            res.macs_onnx_tool = onnx_tool_macs(folded)
        except Exception as exc:  # noqa: BLE001 - a comparison only: its failure is a warning
            res.warnings.append(f"onnx-tool could not count this model ({type(exc).__name__}: {str(exc)[:200]})")
    if req.measure_full:
        rows, cols = req.grid
        shapes = runner.full_shapes(2 * rows * req.patch, 2 * cols * req.patch)
        res.macs_full = sum(
            macs_at(model, req.input_name, (1, 3, h, w), Path.cwd(), f"full{i}").total * shapes.count((h, w))
            for i, (h, w) in enumerate(sorted(set(shapes)))
        )


def _predict(req: ChildRequest, runner: Runner, res: ChildResult) -> None:
    from harness.challenge.grid import save_grid
    from harness.rgbio import read_rgb

    out = Path(req.out)
    out.mkdir(exist_ok=True)
    for item in req.inputs:
        _phase(f"predicting {item.stem}")
        try:
            x = contract.input_array(read_rgb(item.path))
        except contract.ContractError as exc:
            raise ChildFailure(ModelErrorCode.RUNTIME_ERROR, f"input {item.stem}: {exc}") from None
        t0 = time.perf_counter()
        y = runner.full(x) if req.full else runner.padded(x)
        res.seconds.append(time.perf_counter() - t0)
        check_finite(y, item.stem)
        raw = contract.quantise(y)
        if req.full:
            try:
                res.files += save_grid(raw, item.stem, req.grid, req.patch, out)
            except ValueError as exc:
                raise ChildFailure(ModelErrorCode.WRONG_OUTPUT_SHAPE, str(exc)) from None
        else:
            np.save(out / f"{item.stem}.npy", raw)
            res.files.append(f"{item.stem}.npy")


def run(req: ChildRequest) -> ChildResult:
    import onnxruntime as ort

    res = ChildResult(ok=False, onnxruntime_version=ort.__version__, threads=req.threads, input_patch=2 * req.patch)
    try:
        runner = Runner(req)
        res.providers = runner.providers
        res.device_name = _device_name(req.device, req.threads)
        _macs(req, runner, res)
        cuda = req.device == "cuda"
        warmup = req.warmup if req.warmup is not None else (10 if cuda else 1)
        repeats = req.repeats if req.repeats is not None else (50 if cuda else 3)
        side = 2 * req.patch
        _phase(f"timing a {side}x{side} patch")
        x = np.random.default_rng(0).random((1, 3, side, side), dtype=np.float32)
        times = _timed(runner.padded, x, warmup, repeats)
        res.runtime_patch_ms, res.runtime_patch_spread_ms = statistics.median(times), max(times) - min(times)
        res.repeats = repeats
        _predict(req, runner, res)
        if req.measure_full:
            rows, cols = req.grid
            _phase("timing a full-resolution image")
            xf = np.random.default_rng(1).random((1, 3, 2 * rows * req.patch, 2 * cols * req.patch), dtype=np.float32)
            res.runtime_full_ms = statistics.median(_timed(runner.full, xf, 1 if cuda else 0, 3 if cuda else 1))
        res.ok = True
    except BaseException as exc:  # noqa: BLE001 - the child reports every failure, then exits
        failure = _classify(exc, req)
        phase = Path(PHASE).read_text() if Path(PHASE).exists() else "starting"
        res.error = Problem(file=req.model, code=failure.code, message=f"{failure} (while {phase})")
    res.peak_memory_mb = peak_rss_mb()
    return res


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    req = ChildRequest.model_validate(json.loads(Path(argv[0]).read_text()))
    enter(Path.cwd(), enabled=req.confine)  # before anything of the upload is read
    _limit_self(req)  # after: changing user clears the parent-death signal
    _phase("starting")
    res = run(req)
    tmp = Path(RESULT + ".tmp")
    tmp.write_text(res.model_dump_json())
    tmp.replace(RESULT)
    return 0 if res.ok else 3


if __name__ == "__main__":
    sys.exit(main())

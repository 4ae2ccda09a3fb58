"""The measurement protocol, the same for every method.

- params: parameters of the modules the forward pass calls (a parameter shared by several
  modules counts once; modules defined but never called do not count), frozen ones apart;
- MACs: ``torch.utils.flop_counter.FlopCounterMode`` FLOPs / 2 (convolutions, matrix products;
  element-wise operations are not counted);
- runtime: after warm-up, synchronised (CUDA events on GPU, a monotonic clock on CPU), median of
  the repeats, per patch (504 or 496 RGB pixels; on a forward track one packed RAW patch, fed under
  ``baselines.forward``'s contract) and per full-resolution image when asked;
- the runtime it was timed on (``torch x.y``), device name, dtype, TTA flag, threads, peak memory:
  the measuring process's resident-set high-water mark (VmHWM, reset before the measurement where
  the kernel allows, ``harness.procmem``) and, on CUDA, the allocator's peak
  (``torch.cuda.max_memory_allocated``, reset before the measurement).
"""

from __future__ import annotations

import copy
import platform
import statistics
import time

import torch
from pydantic import BaseModel
from torch.utils.flop_counter import FlopCounterMode

from baselines.infer import padded_forward, tiled_forward, torch_ops
from harness.model_contract import pad_amounts
from harness.procmem import peak_rss_mb, reset_peak_rss


class Measurement(BaseModel):
    method: str
    track: str
    device: str
    device_name: str
    torch_version: str
    dtype: str = "float32"
    tta: bool = False
    threads: int
    params: int  # used in the forward pass, trainable and frozen
    params_frozen: int
    params_defined: int  # every nn.Parameter of the model, called or not
    input_patch: tuple[int, int]  # RGB pixels (a forward track: packed RAW pixels)
    macs_patch: int
    runtime_patch_ms: float
    runtime_patch_spread_ms: float  # max - min of the repeats
    repeats: int
    macs_full: int | None = None
    runtime_full_ms: float | None = None
    peak_memory_mb: float | None  # host: the process's VmHWM during the measurement
    peak_gpu_memory_mb: float | None = None  # CUDA: the allocator's peak

    @property
    def runtime(self) -> str:
        """The runtime the figures were timed on, as rows show it: ``torch 2.13.0``."""
        return f"torch {self.torch_version}"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    n = torch.get_num_threads()
    return f"{platform.processor() or platform.machine()} CPU, {n} thread{'' if n == 1 else 's'}"


def used_parameters(model: torch.nn.Module, x: torch.Tensor) -> tuple[int, int, int]:
    """(used, of which frozen, defined) parameter counts, from the modules one forward pass calls."""
    called: list[torch.nn.Module] = []
    hooks = [m.register_forward_pre_hook(lambda mod, _args: called.append(mod)) for m in model.modules()]
    try:
        with torch.inference_mode():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    used = {id(p): p for m in called for p in m.parameters(recurse=False)}
    defined = {id(p): p for p in model.parameters()}
    return (
        sum(p.numel() for p in used.values()),
        sum(p.numel() for p in used.values() if not p.requires_grad),
        sum(p.numel() for p in defined.values()),
    )


def count_macs(model: torch.nn.Module, forward, shape: tuple[int, ...]) -> int:
    """MACs of ``forward(model_copy, x)`` for an input of ``shape``, on the meta device (no arithmetic runs)."""
    # buffers count too: a model with no parameters (UPI) still holds its constants on the CPU
    on_meta = all(t.is_meta for t in (*model.parameters(), *model.buffers()))
    meta = model if on_meta else copy.deepcopy(model).to("meta")
    x = torch.empty(shape, device="meta")
    # no_grad, not inference_mode: with the FLOP counter, inference mode breaks parametrised weights (spectral norm)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        forward(meta, x)
    return counter.get_total_flops() // 2


def static_profile(
    model: torch.nn.Module, side: int, multiple: int, *, forward: bool = False
) -> tuple[int, int, int, int]:
    """(used params, frozen, defined, MACs) for one side x side RGB patch (``forward``: one side x side
    packed RAW patch, 4 channels, fed as it is), on a meta-device copy (fast)."""
    meta = copy.deepcopy(model).to("meta").eval()  # eval: no BatchNorm / spectral-norm state updates
    if forward:
        x = torch.empty((1, 4, side, side), device="meta")
        used, frozen, defined = used_parameters(meta, x)
        return used, frozen, defined, count_macs(meta, lambda m, t: m(t), tuple(x.shape))
    x = torch.empty((1, 3, side, side), device="meta")
    used, frozen, defined = used_parameters(meta, padded_input(x, multiple))
    return used, frozen, defined, count_macs(meta, lambda m, t: padded_forward(m, t, multiple), tuple(x.shape))


def _timed(fn, x: torch.Tensor, device: torch.device, warmup: int, repeats: int) -> list[float]:
    with torch.inference_mode():
        for _ in range(warmup):
            fn(x)
        times = []
        for _ in range(repeats):
            if device.type == "cuda":
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn(x)
                end.record()
                torch.cuda.synchronize(device)
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn(x)
                times.append((time.perf_counter() - t0) * 1000)
    return times


def reset_peaks(device: torch.device) -> None:
    """Start the host (VmHWM) and, on CUDA, the allocator's peak afresh before a measurement."""
    reset_peak_rss()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def gpu_peak_mb(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def measure(
    model: torch.nn.Module,
    *,
    method: str,
    track,
    device: torch.device,
    multiple: int,
    warmup: int | None = None,
    repeats: int | None = None,
    full: bool = False,
) -> Measurement:
    """Measure a built (and, for timing, trained or not: the cost is the same) model on a track."""
    model = model.to(device).eval()
    forward = bool(getattr(track, "forward", False))  # a forward track: RAW patches in (baselines.forward)
    side = track.patch if forward else track.rgb_patch
    x = torch.rand(1, 4 if forward else 3, side, side, device=device)
    warmup = warmup if warmup is not None else (10 if device.type == "cuda" else 1)
    repeats = repeats if repeats is not None else (50 if device.type == "cuda" else 3)
    reset_peaks(device)
    used, frozen, defined, macs = static_profile(model, side, multiple, forward=forward)
    if forward:
        from baselines.forward import checked_forward

        times = _timed(lambda t: checked_forward(model, t), x, device, warmup, repeats)
    else:
        times = _timed(lambda t: padded_forward(model, t, multiple), x, device, warmup, repeats)
    result = dict(
        method=method,
        track=track.name,
        device=device.type,
        device_name=device_name(device),
        torch_version=torch.__version__,
        threads=torch.get_num_threads(),
        tta=bool(getattr(model, "tta", False)),
        params=used,
        params_frozen=frozen,
        params_defined=defined,
        input_patch=(side, side),
        macs_patch=macs,
        runtime_patch_ms=statistics.median(times),
        runtime_patch_spread_ms=max(times) - min(times),
        repeats=repeats,
    )
    if full and not forward:  # a forward track has no full-resolution mode
        h, w = (2 * n for n in track.full_size)
        xf = torch.rand(1, 3, h, w, device=device)
        result["macs_full"] = count_macs(model, lambda m, t: tiled_forward(m, t, multiple), tuple(xf.shape))
        result["runtime_full_ms"] = statistics.median(
            _timed(
                lambda t: tiled_forward(model, t, multiple),
                xf,
                device,
                1 if device.type == "cuda" else 0,
                3 if device.type == "cuda" else 1,
            )
        )
    result["peak_memory_mb"] = peak_rss_mb()
    result["peak_gpu_memory_mb"] = gpu_peak_mb(device)
    return Measurement(**result)


def padded_input(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """The input as the model sees it under the contract (padded to ``multiple``)."""
    ph, pw = pad_amounts(x.shape[-2], x.shape[-1], multiple)
    return torch_ops().pad(x, ph, pw) if ph or pw else x

"""Export a registered method to ONNX, as a team would upload it (``harness baselines export``).

The graph takes sRGB float32 NCHW ``rgb`` (1, 3, H, W) in [0, 1] and gives packed RAW ``raw``
(1, 4, H/2, W/2) in [0, 1]; H and W are dynamic axes (they must be multiples of the method's
``multiple``, which the harness pads to), so one file serves patches and full-resolution tiles.
A ``manifest.toml`` is written beside the model (or both go into a zip when OUT ends in .zip).

Exporter: torch.onnx's TorchScript path first (``dynamo=False``): offline, byte-for-byte
deterministic, and it traces shape arithmetic such as ``linspace(-1, 1, H)`` symbolically (the
dynamo path bakes MBISPLD's in at the example size). It cannot export some operators (spectral
norm's ``vdot`` in HIT-IIL, RST-ISP's convolution with a computed kernel); those fall back to the
dynamo path. Either way the file is then normalised: parameters stay initializers (under their
PyTorch names), buffers and other constants become ``Constant`` nodes, exporter metadata and
value_info are dropped (so the same weights give the same bytes), and the export is verified
against PyTorch with onnxruntime at two sizes. Parameters are exported as they are: nothing is
folded into them, so the initializers hold exactly the parameters the protocol counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import time
import warnings
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel

from baselines import registry
from baselines.protocol import static_profile
from baselines.weights import load_weights
from harness.challenge import TrackSpec
from harness.model_manifest import MANIFEST_NAME, MODEL_NAME, InputSpec, ModelManifest, OutputSpec

TORCHSCRIPT_OPSET = 17
DYNAMO_OPSET = 18
TOLERANCE = 1e-4  # max |onnxruntime - PyTorch| at the verification sizes (outputs are in [0, 1])
INPUT, OUTPUT = "rgb", "raw"


class ExportError(ValueError):
    pass


class ExportResult(BaseModel):
    method: str
    track: str
    onnx: str
    manifest: str | None
    exporter: Literal["torchscript", "dynamo"]
    opset: int
    multiple: int
    params: int  # elements of the model's initializers
    params_protocol: int  # baselines.protocol's used-parameter count at the track's patch
    weights: str | None  # the safetensors file loaded, None: random weights (same graph and counts)
    sha256: str
    bytes: int
    max_abs_diff: float
    verified_at: list[tuple[int, int]]
    seconds: float
    notes: list[str] = []


def _round_up(n: int, m: int) -> int:
    return n + -n % m


@contextlib.contextmanager
def _quiet_fds():
    """Silence stdout and stderr at the file-descriptor level: on failure the TorchScript exporter prints
    its whole IR graph from C++ (thousands of lines, which would also break ``--json`` output)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _torchscript(model, x: torch.Tensor, opset: int):
    import onnx

    buf = io.BytesIO()
    with warnings.catch_warnings(), _quiet_fds():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            buf,
            dynamo=False,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {2: "height", 3: "width"}, OUTPUT: {2: "raw_height", 3: "raw_width"}},
            opset_version=opset,
            do_constant_folding=False,  # parameters stay as they are (nothing folded into them)
            keep_initializers_as_inputs=True,  # skips the pass that merges equal frozen tensors (MiAlgo's Haar)
            training=torch.onnx.TrainingMode.PRESERVE,  # eval mode without folding BatchNorm into Conv
        )
    return onnx.load_from_string(buf.getvalue())


def _dynamo(model, x: torch.Tensor, multiple: int, opset: int):
    import logging

    import onnx

    dims = tuple(multiple * torch.export.Dim(n, min=1, max=16384 // multiple) for n in ("hk", "wk"))
    level = logging.getLogger("torch").level
    logging.getLogger("torch").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), _quiet_fds():
            warnings.simplefilter("ignore")
            prog = torch.onnx.export(
                model,
                (x,),
                None,
                dynamo=True,
                input_names=[INPUT],
                output_names=[OUTPUT],
                dynamic_shapes=({2: dims[0], 3: dims[1]},),
                opset_version=max(opset, DYNAMO_OPSET),
                optimize=False,  # the optimiser folds parameters into new constants (counts would drift)
                verbose=False,
            )
    finally:
        logging.getLogger("torch").setLevel(level)
    proto = prog.model_proto
    if len(proto.functions):
        proto = onnx.inliner.inline_local_functions(proto)
    return proto


def normalise(proto, param_names: set[str]):
    """Parameters as initializers, everything else as Constant nodes; no metadata; named dynamic axes."""
    from onnx import helper

    g = proto.graph
    inits = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in inits]
    del g.input[:]
    g.input.extend(inputs)
    params = [t for t in g.initializer if t.name in param_names]
    constants = [
        helper.make_node("Constant", [], [t.name], name=f"constant/{t.name}", value=t)
        for t in g.initializer
        if t.name not in param_names
    ]
    nodes = constants + list(g.node)
    del g.initializer[:]
    g.initializer.extend(params)
    del g.node[:]
    g.node.extend(nodes)
    for n in g.node:
        n.doc_string = ""
        del n.metadata_props[:]
    used = {n.domain for n in g.node} | {""}
    imports = [o for o in proto.opset_import if o.domain in used or o.domain == "ai.onnx"]
    del proto.opset_import[:]
    proto.opset_import.extend(imports)  # the dynamo path imports helper domains its inlined functions no longer use
    del g.value_info[:]
    del g.metadata_props[:]
    del proto.metadata_props[:]
    g.doc_string = proto.doc_string = ""
    for vi, names in (
        (g.input[0], (None, None, "height", "width")),
        (g.output[0], (None, None, "raw_height", "raw_width")),
    ):
        for d, name in zip(vi.type.tensor_type.shape.dim, names, strict=False):
            if name:
                d.Clear()
                d.dim_param = name
    return proto


def verify(proto, model, sizes: list[tuple[int, int]], seed: int = 0) -> float:
    """Max |onnxruntime - PyTorch| over random inputs of ``sizes``."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 4  # a failure is raised (and reported as a note), not logged
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(seed)
    worst = 0.0
    for h, w in sizes:
        x = torch.rand(1, 3, h, w, generator=gen)
        with torch.inference_mode():
            want = model(x).numpy()
        got = sess.run([OUTPUT], {INPUT: x.numpy()})[0]
        if got.shape != want.shape:
            raise ExportError(f"at {h}x{w} onnxruntime gives {got.shape}, PyTorch {want.shape}")
        worst = max(worst, float(np.abs(got - want).max()))
    return worst


def manifest_for(multiple: int, title: str) -> ModelManifest:
    """The upload manifest of an export, in the schema model submissions are read with."""
    return ModelManifest(
        multiple=multiple, mode="patches", title=title, input=InputSpec(name=INPUT), output=OutputSpec(name=OUTPUT)
    )


def export_model(model, side: int, multiple: int, *, opset: int = TORCHSCRIPT_OPSET, notes: list[str] | None = None):
    """(normalised ModelProto, exporter used, max diff, verification sizes) for a built model."""
    model = model.cpu().eval()
    notes = notes if notes is not None else []
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, side, side, generator=gen)
    # tracing records the branches taken at the example size: an off size (side + multiple) takes the
    # "pad" branch of code such as `if (8 - h) % 16: pad` (SenseBrains, RST-ISP), which is right at every size
    x_off = torch.rand(1, 3, side + multiple, side + multiple, generator=gen)
    s1 = _round_up(max(64, 2 * multiple), multiple)
    sizes = [(side, side), (s1 + multiple, s1 + 2 * multiple)]
    names = {n for n, _ in model.named_parameters(remove_duplicate=False)}
    attempts = (
        ("torchscript", lambda: _torchscript(model, x_off, opset)),
        ("torchscript", lambda: _torchscript(model, x, opset)),
        ("dynamo", lambda: _dynamo(model, x, multiple, opset)),
    )
    failures: list[str] = []
    for how, run in attempts:
        try:
            proto = normalise(run(), names)
            diff = verify(proto, model, sizes)
        except Exception as exc:  # noqa: BLE001 - each exporter's failure is recorded, then the next is tried
            failures.append(f"{how} exporter failed: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}")
            continue
        if diff > TOLERANCE:
            failures.append(f"{how} export differs from PyTorch by {diff:.3g} (tolerance {TOLERANCE})")
            continue
        notes += failures
        return proto, how, diff, sizes
    raise ExportError("cannot be exported to ONNX: " + "; ".join(failures))


def _write(proto, out: Path, manifest: str) -> tuple[bytes, Path | None]:
    data = proto.SerializeToString(deterministic=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".zip":
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, payload in ((MODEL_NAME, data), (MANIFEST_NAME, manifest.encode())):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed dates: same bytes
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, payload)
        return data, None
    out.write_bytes(data)
    (out.parent / MANIFEST_NAME).write_text(manifest)
    return data, out.parent / MANIFEST_NAME


def build_model(name: str, track: TrackSpec, *, weights: Path | None = None, seed: int = 0):
    """The method's model in eval mode: with ``weights`` loaded, else with random weights drawn from ``seed``."""
    method = registry.get(name)
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # random weights: the same seed gives the same file
        model = method.build(track)
    if weights is not None:
        load_weights(model, weights)
    return model.eval()


def export_method(
    name: str,
    track: TrackSpec,
    out: Path,
    *,
    weights: Path | None = None,
    opset: int = TORCHSCRIPT_OPSET,
    seed: int = 0,
) -> ExportResult:
    """Export ``name`` for ``track`` to ``out`` (.onnx + manifest.toml beside it, or one .zip)."""
    t0 = time.perf_counter()
    method = registry.get(name)
    if method.card.direction != "reverse" or track.forward:
        raise ValueError(
            f"{name} on {track.name}: ONNX export follows the model contract (sRGB -> RAW); forward methods and "
            "tracks take no model submissions, so they are not exported"
        )
    multiple = max(2, method.card.multiple)
    model = build_model(name, track, weights=weights, seed=seed)
    notes: list[str] = []
    if weights is None and (method.card.kind == "learned" or method.fit is not None):
        notes.append("random weights (none given): the graph, params and MACs are those of a trained model")
    side = _round_up(track.rgb_patch, multiple)
    used = static_profile(model, track.rgb_patch, multiple)[0]
    proto, how, diff, sizes = export_model(model, side, multiple, opset=opset, notes=notes)
    params = sum(int(np.prod(t.dims)) for t in proto.graph.initializer)
    if params != used:
        notes.append(f"the initializers hold {params} elements, the protocol counts {used} parameters")
    data, manifest_path = _write(proto, Path(out), manifest_for(multiple, f"{name} ({track.name})").to_toml())
    return ExportResult(
        method=name,
        track=track.name,
        onnx=str(out),
        manifest=str(manifest_path) if manifest_path else None,
        exporter=how,
        opset=next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        multiple=multiple,
        params=params,
        params_protocol=used,
        weights=str(weights) if weights else None,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        max_abs_diff=diff,
        verified_at=sizes,
        seconds=time.perf_counter() - t0,
        notes=notes,
    )

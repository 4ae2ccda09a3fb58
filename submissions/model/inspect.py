"""Static checks of a parsed ONNX model, its parameter count, and MACs counted per operator.

Nothing here runs the model. ``check_model`` refuses custom-domain and unknown operators, opsets
out of range, external data outside the upload, tensors whose data does not match their declared
size, and a wrong input or output; it returns the parameter count: the elements of the
initializers some node uses (tensors written as ``Constant`` nodes are reported apart, as the
PyTorch protocol reports buffers apart). ``count_macs`` counts Conv, ConvTranspose, MatMul,
Gemm and Einsum (the operators ``FlopCounterMode`` counts) from fully inferred shapes.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from harness.problems import Problem
from submissions.model.errors import ModelErrorCode, ModelRejected
from submissions.model.limits import STANDARD_DOMAINS, ModelLimits
from submissions.model.manifest import ModelManifest

FLOAT = 1
# bits per element of each TensorProto data type (STRING, 8, has none)
BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64, 15: 128, 16: 16}
BITS.update({17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8, 25: 2, 26: 2, 27: 6, 28: 6})
EXTERNAL = 1


class ModelInfo(BaseModel):
    """What the static checks learnt about a model."""

    ir_version: int
    opset: int
    producer: str
    n_nodes: int
    op_counts: dict[str, int]
    params: int  # elements of the initializers the graph uses
    params_constant: int  # elements of Constant nodes (buffers, folded values): not counted as params
    data_bytes: int  # every tensor's declared bytes
    input_name: str
    output_name: str


def graphs(graph, depth: int = 0) -> Iterator:
    """The graph and every graph nested in a node attribute (If, Loop, Scan bodies)."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from graphs(attr.g, depth + 1)
            for g in attr.graphs:
                yield from graphs(g, depth + 1)


def all_nodes(model) -> Iterator:
    for g in graphs(model.graph):
        yield from g.node
    for f in model.functions:
        yield from f.node


def tensors(model) -> Iterator[tuple[str, object]]:
    """(description, TensorProto) of every tensor the model holds: initializers and attribute tensors."""
    for g in graphs(model.graph):
        for t in g.initializer:
            yield f"initializer {t.name!r}", t
        for s in g.sparse_initializer:
            yield f"sparse initializer {s.values.name!r}", s.values
            yield f"sparse initializer {s.values.name!r} indices", s.indices
        for node in g.node:
            for attr in node.attribute:
                label = (
                    f"{node.op_type} node {node.name or node.output[0] if node.output else ''!r} attribute {attr.name}"
                )
                if attr.HasField("t"):
                    yield label, attr.t
                for t in attr.tensors:
                    yield label, t


def _held_bytes(t) -> int | None:
    """How many bytes of data the tensor holds inline (None: external, checked apart)."""
    if t.data_location == EXTERNAL:
        return None
    if t.raw_data:
        return len(t.raw_data)
    per = max(1, BITS[t.data_type] // 8)  # int32_data / uint64_data carry one (packed) element per entry
    for name, size in (
        ("float_data", 4),
        ("double_data", 8),
        ("int64_data", 8),
        ("int32_data", per),
        ("uint64_data", per),
    ):
        n = len(getattr(t, name))
        if n:
            return n * size
    return 0


def _location_problem(location: str) -> str | None:
    if not location:
        return "has no location"
    if "\x00" in location or "\\" in location:
        return f"location {location!r} has a NUL byte or a backslash"
    if location.startswith("/") or (len(location) > 1 and location[1] == ":"):
        return f"location {location!r} is an absolute path: external data must lie inside the upload"
    if any(p == ".." for p in PurePosixPath(location).parts):
        return f"location {location!r} climbs out of the upload with '..'"
    return None


def _check_external(
    t, what: str, folder: Path, label: str, declared_bytes: int
) -> tuple[Problem | None, Path | None]:
    info = {e.key: e.value for e in t.external_data}

    def err(code, msg):
        return Problem(file=label, code=code, message=f"{label}: {what} {msg}"), None

    problem = _location_problem(info.get("location", ""))
    if problem:
        code = ModelErrorCode.EXTERNAL_DATA_ESCAPE if info.get("location") else ModelErrorCode.EXTERNAL_DATA_MISSING
        return err(code, f"external data {problem}")
    target = folder / info["location"]
    root = folder.resolve()
    resolved = target.resolve()
    if resolved != root and root not in resolved.parents:
        return err(
            ModelErrorCode.EXTERNAL_DATA_ESCAPE, f"external data {info['location']!r} resolves outside the upload"
        )
    if target.is_symlink() or not target.is_file():
        return err(
            ModelErrorCode.EXTERNAL_DATA_MISSING, f"external data file {info['location']!r} is not in the upload"
        )
    try:
        offset, length = int(info.get("offset", 0)), int(info["length"]) if "length" in info else None
    except ValueError:
        return err(ModelErrorCode.INITIALIZER_SIZE_MISMATCH, "has a non-integer external data offset or length")
    size = target.stat().st_size
    held = (size - offset) if length is None else length
    if offset < 0 or held < 0 or offset + held > size:
        return err(
            ModelErrorCode.INITIALIZER_SIZE_MISMATCH,
            f"reads bytes {offset}..{offset + held} of {info['location']!r}, which holds {size}",
        )
    if held != declared_bytes:
        return err(
            ModelErrorCode.INITIALIZER_SIZE_MISMATCH,
            f"declares {declared_bytes} bytes but its external data holds {held}",
        )
    return None, resolved


def _io_errors(model, manifest: ModelManifest, label: str) -> tuple[list[Problem], str, str]:
    errors: list[Problem] = []

    def err(code, msg):
        errors.append(Problem(file=label, code=code, message=f"{label}: {msg}"))

    g = model.graph
    init_names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init_names]
    in_name, out_name = manifest.input.name, manifest.output.name
    chosen = [i for i in inputs if in_name is None or i.name == in_name]
    if len(inputs) != 1 or len(chosen) != 1:
        names = ", ".join(repr(i.name) for i in inputs) or "none"
        err(
            ModelErrorCode.WRONG_INPUT,
            f"the graph must take exactly one input (the sRGB image){' named ' + repr(in_name) if in_name else ''}; it has {names}",
        )
    else:
        errors += _tensor_errors(chosen[0], "input", 3, ModelErrorCode.WRONG_INPUT, label, dynamic_hw=True)
    outs = [o for o in g.output if out_name is None or o.name == out_name]
    if len(outs) != 1 or (out_name is None and len(g.output) != 1):
        names = ", ".join(repr(o.name) for o in g.output) or "none"
        err(
            ModelErrorCode.WRONG_OUTPUT,
            f"the graph must give one output (the packed RAW){' named ' + repr(out_name) if out_name else ''}; it has {names}",
        )
    else:
        errors += _tensor_errors(outs[0], "output", 4, ModelErrorCode.WRONG_OUTPUT, label, dynamic_hw=False)
    return errors, chosen[0].name if len(chosen) == 1 else "", outs[0].name if len(outs) == 1 else ""


def _tensor_errors(vi, what: str, channels: int, code, label: str, *, dynamic_hw: bool) -> list[Problem]:
    def err(msg):
        return [Problem(file=label, code=code, message=f"{label}: {what} {vi.name!r} {msg}")]

    if not vi.type.HasField("tensor_type"):
        return err("is not a tensor")
    tt = vi.type.tensor_type
    if tt.elem_type != FLOAT:
        return err(f"has element type {tt.elem_type} (TensorProto enum); it must be float32 (1)")
    if not tt.HasField("shape"):
        return [] if not dynamic_hw else err("has no declared shape; declare (1, 3, H, W) with H and W dynamic")
    dims = tt.shape.dim
    if len(dims) != 4:
        return err(f"has rank {len(dims)}; it must be NCHW, rank 4")
    static = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    if static[0] not in (None, 1):
        return err(f"has batch size {static[0]}; the harness feeds one image at a time (1 or dynamic)")
    if static[1] not in (None, channels):
        return err(f"has {static[1]} channels; it must have {channels}")
    if dynamic_hw and (static[2] is not None or static[3] is not None):
        return err(
            f"has a fixed size {static[2]}x{static[3]}; export H and W as dynamic axes (the harness feeds patches "
            "and tiles of several sizes)"
        )
    return []


def check_model(
    model, folder: Path, manifest: ModelManifest, label: str, limits: ModelLimits, path: Path | None = None
) -> ModelInfo:
    """Every static check; raises :class:`ModelRejected` listing all problems, else returns :class:`ModelInfo`.

    ``path``: the model's file, so that onnx's checker finds external data beside it (needed when there is some).
    """
    import onnx.defs

    errors: list[Problem] = []

    def err(code, msg):
        errors.append(Problem(file=label, code=code, message=f"{label}: {msg}"))

    opsets = {o.domain: o.version for o in model.opset_import}
    opset = opsets.get("", opsets.get("ai.onnx", 0))
    if not limits.opset_min <= opset <= limits.opset_max:
        err(
            ModelErrorCode.OPSET_OUT_OF_RANGE,
            f"imports ai.onnx opset {opset or 'none'}; accepted: {limits.opset_min} to {limits.opset_max}",
        )
    nodes = list(all_nodes(model))
    if len(nodes) > limits.max_nodes:
        err(ModelErrorCode.TOO_MANY_NODES, f"{len(nodes)} nodes exceed the limit of {limits.max_nodes}")
    reported: set[tuple[str, str]] = set()
    for node in nodes:
        key = (node.domain, node.op_type)
        if key in reported:
            continue
        if node.domain not in STANDARD_DOMAINS:
            reported.add(key)
            err(
                ModelErrorCode.CUSTOM_OPERATOR,
                f"operator {node.op_type!r} of domain {node.domain!r} (node {node.name!r}): only the standard "
                "ai.onnx operators are accepted (no custom or contributed domains, no local functions)",
            )
        elif opset and not onnx.defs.has(node.op_type, opset, ""):
            reported.add(key)
            err(ModelErrorCode.UNKNOWN_OPERATOR, f"operator {node.op_type!r} is not in ai.onnx opset {opset}")
    data_bytes, external_files = 0, set()
    for what, t in tensors(model):
        if t.data_type not in BITS:
            if t.data_type != 8:
                err(ModelErrorCode.INITIALIZER_SIZE_MISMATCH, f"{what} has unknown data type {t.data_type}")
            continue
        if any(d < 0 for d in t.dims):
            err(ModelErrorCode.INITIALIZER_SIZE_MISMATCH, f"{what} has negative dimensions {list(t.dims)}")
            continue
        elements = math.prod(t.dims)
        declared = (elements * BITS[t.data_type] + 7) // 8
        held = _held_bytes(t)
        if held is None:
            problem, data_file = _check_external(t, what, folder, label, declared)
            if problem:
                errors.append(problem)
                continue
            external_files.add(data_file)
        elif held != declared:
            err(
                ModelErrorCode.INITIALIZER_SIZE_MISMATCH,
                f"{what} declares {list(t.dims)} = {elements} values ({declared} bytes) but holds {held} bytes",
            )
            continue
        data_bytes += declared  # only tensors whose data is really there
    if data_bytes > limits.max_data_bytes:
        err(
            ModelErrorCode.TOO_MUCH_DATA,
            f"its tensors declare {data_bytes} bytes; the limit is {limits.max_data_bytes}",
        )
    ext = sum(os.path.getsize(p) for p in external_files)
    if ext > limits.max_external_bytes:
        err(ModelErrorCode.TOO_MUCH_DATA, f"{ext} bytes of external data exceed {limits.max_external_bytes}")
    io_errors, in_name, out_name = _io_errors(model, manifest, label)
    errors += io_errors
    if not errors:  # the checker only once the operators, opsets and tensors are known to be sound
        import onnx.checker

        try:
            onnx.checker.check_model(str(path) if path else model)
        except (onnx.checker.ValidationError, ValueError) as exc:
            err(ModelErrorCode.INVALID_GRAPH, f"not a valid ONNX graph: {str(exc).strip().splitlines()[0][:400]}")
    if errors:
        raise ModelRejected(errors)
    params, constants = count_params(model)
    return ModelInfo(
        ir_version=model.ir_version,
        opset=opset,
        producer=f"{model.producer_name} {model.producer_version}".strip(),
        n_nodes=len(nodes),
        op_counts=dict(sorted(Counter(n.op_type for n in nodes).items())),
        params=params,
        params_constant=constants,
        data_bytes=data_bytes,
        input_name=in_name,
        output_name=out_name,
    )


def count_params(model) -> tuple[int, int]:
    """(elements of the initializers some node uses, elements of Constant-node tensors)."""
    used = {name for n in all_nodes(model) for name in n.input}
    used |= {o.name for o in model.graph.output}
    params = constants = 0
    for g in graphs(model.graph):
        params += sum(math.prod(t.dims) for t in g.initializer if t.name in used)
        params += sum(math.prod(s.values.dims) for s in g.sparse_initializer if s.values.name in used)
        for n in g.node:
            if n.op_type == "Constant":
                constants += sum(math.prod(a.t.dims) for a in n.attribute if a.HasField("t"))
    return params, constants

"""MACs per operator from shapes, the protocol's way: Conv, ConvTranspose, MatMul, Gemm and Einsum.

The formulas are ``FlopCounterMode``'s divided by 2 (``baselines.protocol``): a convolution costs
N x (output positions) x (weight elements), a transposed one N x (input positions) x (weight
elements), a matrix product (batch) x M x K x N (attention-shaped MatMuls between activations
included), a two-operand Einsum the product of every index size. Element-wise operators,
pooling, resizing and normalisation count nothing.

Shapes come from a static copy of the model (input fixed to the patch size) that onnxruntime's
basic optimiser has constant-folded (so shape arithmetic such as Shape -> Div -> Reshape is
resolved), then ONNX shape inference. This runs in the sandboxed child: constant folding
executes the model's constant subgraphs.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel

COUNTED = {
    "Conv",
    "ConvInteger",
    "QLinearConv",
    "FusedConv",
    "ConvTranspose",
    "MatMul",
    "MatMulInteger",
    "QLinearMatMul",
    "FusedMatMul",
    "Gemm",
    "FusedGemm",
    "Einsum",
}


class MacCount(BaseModel):
    total: int
    by_op: dict[str, int]
    unresolved: list[str]  # counted operators whose shapes stayed unknown (not in the total)


def static_copy(model, input_name: str, shape: tuple[int, ...]):
    """A copy of ``model`` (a ModelProto) with ``input_name`` fixed to ``shape``."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for vi in copy.graph.input:
        if vi.name == input_name:
            dims = vi.type.tensor_type.shape.dim
            del dims[:]
            for v in shape:
                dims.add().dim_value = int(v)
    return copy


def _shapes(model) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    g = model.graph
    for vi in (*g.input, *g.value_info, *g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            out[vi.name] = tuple(d.dim_value for d in tt.shape.dim)
    for t in g.initializer:
        out[t.name] = tuple(t.dims)
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.HasField("t"):
                    out[n.output[0]] = tuple(a.t.dims)
    return out


def _einsum(equation: str, shapes: list[tuple[int, ...]]) -> int:
    """A contraction of two or more operands: the product of every index size (batch, free, summed)."""
    lhs = equation.replace(" ", "").split("->")[0].split(",")
    if len(lhs) < 2:
        return 0  # one operand: a transpose or a reduction, no products
    sizes: dict[str, int] = {}
    ell: list[int] = []  # the broadcast shape of the "..." dimensions
    for term, shape in zip(lhs, shapes, strict=False):
        head, _, tail = term.partition("...")
        n_ell = len(shape) - len(head) - len(tail)
        for ch, d in zip(head + tail, shape[: len(head)] + shape[len(head) + n_ell :], strict=False):
            sizes[ch] = max(sizes.get(ch, 1), d)
        e = list(shape[len(head) : len(head) + n_ell])
        ell = [1] * (len(e) - len(ell)) + ell
        e = [1] * (len(ell) - len(e)) + e
        ell = [max(a, b) for a, b in zip(ell, e, strict=True)]
    return math.prod(sizes.values()) * math.prod(ell)


def node_macs(node, shapes: dict[str, tuple[int, ...]]) -> int | None:
    """MACs of one node, None when a shape it needs is unknown."""
    op = node.op_type
    attrs = {a.name: a for a in node.attribute}

    def shape(i: int, outputs: bool = False):
        names = node.output if outputs else node.input
        return shapes.get(names[i]) if i < len(names) and names[i] else None

    if op in ("Conv", "ConvInteger", "FusedConv", "QLinearConv"):
        w, y = shape(3 if op == "QLinearConv" else 1), shape(0, outputs=True)
        return None if w is None or y is None else y[0] * math.prod(y[2:]) * math.prod(w)
    if op == "ConvTranspose":
        x, w = shape(0), shape(1)
        return None if x is None or w is None else x[0] * math.prod(x[2:]) * math.prod(w)
    if op in ("MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul", "Gemm", "FusedGemm"):
        a, y = shape(0), shape(0, outputs=True)
        if a is None or y is None:
            return None
        trans = attrs.get("transA")
        k = a[-2] if trans is not None and trans.i and len(a) > 1 else a[-1]
        return math.prod(y) * k
    if op == "Einsum":
        ins = [shape(i) for i in range(len(node.input))]
        if any(s is None for s in ins):
            return None
        return _einsum(attrs["equation"].s.decode(), ins)
    return 0


def count_macs(shaped) -> MacCount:
    """MACs of a model whose shapes are all inferred (top-level graph; control-flow bodies are unresolved)."""
    shapes = _shapes(shaped)
    by_op: dict[str, int] = {}
    unresolved: list[str] = []
    for node in shaped.graph.node:
        if node.op_type in COUNTED:
            macs = node_macs(node, shapes)
            if macs is None:
                unresolved.append(f"{node.op_type} {node.name or node.output[0]}")
            else:
                by_op[node.op_type] = by_op.get(node.op_type, 0) + macs
        for a in node.attribute:  # bodies of If / Loop / Scan: how often they run is not static
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                unresolved += [f"{n.op_type} {n.name} (inside {node.op_type})" for n in g.node if n.op_type in COUNTED]
    return MacCount(total=sum(by_op.values()), by_op=dict(sorted(by_op.items())), unresolved=unresolved)


def fold(model_path: Path, input_name: str, shape: tuple[int, ...], workdir: Path, tag: str) -> Path:
    """Write a static copy of the model, constant-fold it with onnxruntime (basic level); the folded file."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(model_path), load_external_data=False)
    static = model_path.parent / f".static-{tag}.onnx"  # beside the model: external data paths still resolve
    onnx.save(static_copy(model, input_name, shape), str(static))
    folded = workdir / f"folded-{tag}.onnx"
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(folded)
    so.log_severity_level = 3
    so.add_session_config_entry("session.optimized_model_external_initializers_file_name", f"folded-{tag}.data")
    so.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    try:
        ort.InferenceSession(str(static), so, providers=["CPUExecutionProvider"])
    finally:
        static.unlink(missing_ok=True)
    return folded


def macs_at(model_path: Path, input_name: str, shape: tuple[int, ...], workdir: Path, tag: str) -> MacCount:
    import onnx

    folded = fold(model_path, input_name, shape, workdir, tag)
    shaped = onnx.shape_inference.infer_shapes(onnx.load(str(folded), load_external_data=False), data_prop=True)
    return count_macs(shaped)


def onnx_tool_macs(folded: Path) -> dict[str, int]:
    """onnx-tool's MACs per operator type on a folded static model (a maintained counter, for comparison).

    onnx-tool counts a bias add inside Conv/Gemm as MACs too and counts element-wise operators;
    only the operator types both count are compared.
    """
    import warnings

    import onnx_tool

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = onnx_tool.Model(str(folded), {"verbose": False})
        m.graph.shape_infer()
        m.graph.profile()
    out: dict[str, int] = {}
    for node in m.graph.nodemap.values():
        if node.op_type in COUNTED:
            out[node.op_type] = out.get(node.op_type, 0) + int(node.macs[0])
    return dict(sorted(out.items()))

"""Builders for model-submission tests: a tiny split, a healthy ONNX model, hostile ones (onnx.helper)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from harness.challenge import SplitLayout, SplitSpec, TrackSpec
from harness.rgbio import encode_jpeg

PATCH = 8  # packed RAW side: RGB patches of 16 x 16, full images 6 x 8 patches (96 x 128)
IR = 9  # an IR version every onnxruntime release here reads
OPSET = 17


def tiny_track() -> TrackSpec:
    return TrackSpec(
        name="s7", title="s7", camera="test", black=0, white=1023, patch=PATCH, splits=[SplitSpec(name="test1")]
    )


def tiny_split(root: Path, n: int = 2, full: bool = True) -> SplitLayout:
    """A split with ``n`` RGB patches and, with ``full``, one full-resolution image."""
    rng = np.random.default_rng(3)
    split = SplitLayout(root)
    split.rgb.mkdir(parents=True)
    for i in range(n):
        split.rgb_path(f"p{i}").write_bytes(encode_jpeg(rng.integers(0, 256, (2 * PATCH, 2 * PATCH, 3), np.uint8), 95))
    if full:
        split.full.rgb.mkdir(parents=True)
        img = rng.integers(0, 256, (2 * 6 * PATCH, 2 * 8 * PATCH, 3), np.uint8)
        split.full.rgb_path("img").write_bytes(encode_jpeg(img, 95))
    return split


def io(h="height", w="width", out_channels=4, in_dtype=TensorProto.FLOAT, in_shape=None):
    x = helper.make_tensor_value_info("rgb", in_dtype, in_shape or [1, 3, h, w])
    y = helper.make_tensor_value_info("raw", TensorProto.FLOAT, [1, out_channels, "raw_h", "raw_w"])
    return x, y


def model(nodes, inits=(), *, opset=OPSET, domains=(), x=None, y=None, functions=()) -> onnx.ModelProto:
    xd, yd = io()
    graph = helper.make_graph(list(nodes), "g", [x or xd], [y or yd], initializer=list(inits))
    imports = [helper.make_opsetid("", opset), *(helper.make_opsetid(d, 1) for d in domains)]
    return helper.make_model(graph, opset_imports=imports, ir_version=IR, functions=list(functions))


def mosaic_weights() -> list[TensorProto]:
    """A 2x2 stride-2 Conv taking each cell's R, Gr, Gb, B: the 'gamma-free' naive RAW."""
    w = np.zeros((4, 3, 2, 2), np.float32)
    w[0, 0, 0, 0] = w[1, 1, 0, 1] = w[2, 1, 1, 0] = w[3, 2, 1, 1] = 1.0
    return [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.zeros(4, np.float32), "b")]


def lying_tensor(name: str, dims: list[int], raw: bytes) -> TensorProto:
    """A float tensor whose declared shape and data disagree (onnx.helper refuses to build one)."""
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, raw_data=raw)
    t.dims.extend(dims)
    return t


def mosaic_weights_and_conv() -> tuple[list, list[TensorProto]]:
    return [helper.make_node("Conv", ["rgb", "w", "b"], ["raw"], kernel_shape=[2, 2], strides=[2, 2])], mosaic_weights()


def healthy() -> onnx.ModelProto:
    return model(*mosaic_weights_and_conv())


def conv_then(extra_nodes, extra_inits=(), out="conv") -> list:
    """The healthy Conv writing ``conv``, then ``extra_nodes`` that must end in ``raw``."""
    conv = helper.make_node("Conv", ["rgb", "w", "b"], [out], kernel_shape=[2, 2], strides=[2, 2])
    return [conv, *extra_nodes], [*mosaic_weights(), *extra_inits]


def endless_loop() -> onnx.ModelProto:
    """A Loop of 10^12 trips adding 1 to a scalar, added (x0) to the output: it never finishes."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["v_in", "one"], ["v_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1]),
        ],
        initializer=[numpy_helper.from_array(np.ones(1, np.float32), "one")],
    )
    inits = [
        numpy_helper.from_array(np.array(10**12, np.int64), "trips"),
        numpy_helper.from_array(np.array(True), "cond"),
        numpy_helper.from_array(np.zeros(1, np.float32), "v0"),
        numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
    ]
    # the start value depends on the input, so nothing can be folded away before the run
    nodes, inits = conv_then(
        [
            helper.make_node("ReduceMax", ["conv"], ["m"], keepdims=0),
            helper.make_node("Mul", ["m", "zero"], ["m0"]),
            helper.make_node("Add", ["v0", "m0"], ["start"]),
            helper.make_node("Loop", ["trips", "cond", "start"], ["v_final"], body=body),
            helper.make_node("Mul", ["v_final", "zero"], ["nothing"]),
            helper.make_node("Add", ["conv", "nothing"], ["raw"]),
        ],
        inits,
    )
    return model(nodes, inits)


def memory_hog(factor: int = 1024) -> onnx.ModelProto:
    """ConstantOfShape of (1, 3, H*factor, W*factor) floats, from the input's shape: gigabytes."""
    inits = [numpy_helper.from_array(np.array([1, 1, factor, factor], np.int64), "scale")]
    nodes, inits = conv_then(
        [
            helper.make_node("Shape", ["rgb"], ["s"]),
            helper.make_node("Mul", ["s", "scale"], ["big_shape"]),
            helper.make_node("ConstantOfShape", ["big_shape"], ["big"]),
            helper.make_node("ReduceMax", ["big"], ["bm"], keepdims=0),
            helper.make_node("Add", ["conv", "bm"], ["raw"]),
        ],
        inits,
    )
    return model(nodes, inits)


def wrong_shape() -> onnx.ModelProto:
    """A 1x1 Conv: (1, 4, H, W) instead of (1, 4, H/2, W/2)."""
    w = numpy_helper.from_array(np.full((4, 3, 1, 1), 1 / 3, np.float32), "w")
    return model([helper.make_node("Conv", ["rgb", "w"], ["raw"], kernel_shape=[1, 1])], [w])


def with_external(location: str, declared_dims=(4, 3, 2, 2), length: int | None = None) -> onnx.ModelProto:
    """The healthy model with its weight stored as external data at ``location``."""
    m = healthy()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    del w.dims[:]
    w.dims.extend(declared_dims)
    w.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": "0", **({"length": str(length)} if length is not None else {})}
    for k, v in entries.items():
        w.external_data.add(key=k, value=v)
    return m


def manifest(multiple: int = 2, mode: str = "patches", **extra) -> str:
    lines = [f"multiple = {multiple}", f'mode = "{mode}"'] + [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + '\n[input]\nname = "rgb"\n[output]\nname = "raw"\n'


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def upload(path: Path, m: onnx.ModelProto, man: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """``path`` as a bare .onnx (no manifest given) or as a zip with the manifest and ``extra`` files."""
    if man is None and not extra:
        path.write_bytes(m.SerializeToString())
        return path
    files = {"model.onnx": m.SerializeToString(), **({"manifest.toml": man.encode()} if man is not None else {})}
    return write_zip(path, {**files, **(extra or {})})


# --- raw protobuf bytes, for bombs -----------------------------------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def deep_model_bytes(depth: int) -> bytes:
    """A ModelProto whose graph nests If nodes ``depth`` deep (graph > node > attribute > graph ...)."""
    g = b""
    for _ in range(depth):
        attr = field(1, b"then_branch") + varint(20 << 3) + varint(5) + field(6, g)
        g = field(1, field(4, b"If") + field(5, attr))
    return varint(1 << 3) + varint(IR) + field(7, g) + field(8, field(1, b"") + varint(2 << 3) + varint(OPSET))


def oversized_field_bytes() -> bytes:
    """A ModelProto whose graph field declares 2 GiB in a file of a few bytes."""
    return varint(1 << 3) + varint(IR) + varint(7 << 3 | 2) + varint(2 << 30) + b"\x00" * 16


def tiny_nodes_bytes(n: int) -> bytes:
    """A ModelProto whose graph holds ``n`` tiny Relu nodes (14 bytes each): 4 M of them make 56 MB."""
    node = field(1, field(1, b"x") + field(2, b"y") + field(4, b"Relu"))
    return varint(1 << 3) + varint(IR) + field(7, node * n) + field(8, field(1, b"") + varint(2 << 3) + varint(OPSET))


def nan_model() -> onnx.ModelProto:
    """The healthy Conv, then Log of minus one: every output value is NaN."""
    minus = numpy_helper.from_array(np.array(-1.0, np.float32), "minus")
    nodes, inits = conv_then(
        [helper.make_node("Mul", ["conv", "minus"], ["neg"]), helper.make_node("Sub", ["neg", "one"], ["below"]),
         helper.make_node("Log", ["below"], ["raw"])],
        [minus, numpy_helper.from_array(np.array(1.0, np.float32), "one")],
    )  # fmt: skip
    return model(nodes, inits)

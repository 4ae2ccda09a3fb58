"""A scan of an ONNX file's protobuf wire format before it is parsed: no recursion, no allocation.

Parsing hostile protobuf can blow the stack (messages nested thousands deep), ask for absurd
lengths, or expand in memory (packed varints take up to 8 bytes each once parsed). The scan walks
the file as the ONNX schema nests messages (model > graph > node > attribute > graph ..., and
type > sequence/map/optional > type ...), checks every length against what remains of the
enclosing message, measures nesting depth and packed-integer bytes, and counts nodes, attributes,
tensors, value infos, graphs, local functions and fields against their limits as it meets them (a
file of millions of tiny nodes is refused after the first ``max_nodes + 1``). Only then does
``ModelProto.ParseFromString`` run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from submissions.model.errors import ModelErrorCode, reject

# (message, field number) -> the message type of that length-delimited field. Fields not listed
# are skipped (strings, bytes, and messages that cannot nest further).
MODEL, GRAPH, NODE, ATTR, TENSOR, SPARSE, VALUE_INFO, TYPE, TYPE_SEQ, TYPE_MAP, TYPE_OPT, FUNC, TRAIN = range(13)
NESTED: dict[tuple[int, int], int] = {
    (MODEL, 7): GRAPH,
    (MODEL, 25): FUNC,
    (MODEL, 20): TRAIN,
    (TRAIN, 1): GRAPH,
    (TRAIN, 3): GRAPH,
    (GRAPH, 1): NODE,
    (GRAPH, 5): TENSOR,
    (GRAPH, 15): SPARSE,
    (GRAPH, 11): VALUE_INFO,
    (GRAPH, 12): VALUE_INFO,
    (GRAPH, 13): VALUE_INFO,
    (NODE, 5): ATTR,
    (ATTR, 5): TENSOR,
    (ATTR, 6): GRAPH,
    (ATTR, 10): TENSOR,
    (ATTR, 11): GRAPH,
    (ATTR, 14): TYPE,
    (ATTR, 15): TYPE,
    (ATTR, 22): SPARSE,
    (ATTR, 23): SPARSE,
    (SPARSE, 1): TENSOR,
    (SPARSE, 2): TENSOR,
    (VALUE_INFO, 2): TYPE,
    (TYPE, 4): TYPE_SEQ,
    (TYPE, 5): TYPE_MAP,
    (TYPE, 9): TYPE_OPT,
    (TYPE_SEQ, 1): TYPE,
    (TYPE_MAP, 2): TYPE,
    (TYPE_OPT, 1): TYPE,
    (FUNC, 7): NODE,
    (FUNC, 11): ATTR,
    (FUNC, 12): VALUE_INFO,
}
# packed repeated integers that expand when parsed: TensorProto int32/int64/uint64 data, dims;
# AttributeProto ints
PACKED_INTS = {(TENSOR, 1), (TENSOR, 5), (TENSOR, 7), (TENSOR, 11), (ATTR, 8)}


# what each counted kind of message is called in a refusal, and the ModelLimits field capping it
COUNTED = {
    NODE: ("nodes", "max_nodes"),
    ATTR: ("attributes", "max_attributes"),
    TENSOR: ("tensors (initializers, constants, attribute tensors)", "max_tensors"),
    SPARSE: ("sparse tensors", "max_tensors"),
    VALUE_INFO: ("value infos (graph inputs, outputs, intermediate types)", "max_value_infos"),
    GRAPH: ("graphs (the main graph and its subgraphs)", "max_graphs"),
    FUNC: ("local functions", "max_functions"),
}


@dataclass
class WireStats:
    max_depth: int = 0
    packed_int_bytes: int = 0
    messages: int = 0
    fields: int = 0
    counts: dict[int, int] = dataclasses.field(default_factory=dict)  # message kind -> messages of that kind


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("a varint runs past the end of its message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _too_many(label: str, kind: int, caps: dict[str, int]):
    what, cap_name = COUNTED[kind]
    code = ModelErrorCode.TOO_MANY_NODES if kind == NODE else ModelErrorCode.TOO_MANY_MESSAGES
    return reject(
        label,
        code,
        f"more than {caps[cap_name]} {what}: the limit is {cap_name} = {caps[cap_name]} "
        "(counted by the wire scan; the model was not parsed)",
    )


def scan(
    buf,
    label: str,
    *,
    max_depth: int,
    max_packed_int_bytes: int,
    caps: dict[str, int] | None = None,
    max_fields: int | None = None,
) -> WireStats:
    """Walk ``buf`` (bytes, memoryview or mmap) as an ONNX ModelProto; raises ModelRejected on a problem.

    ``caps`` maps the limit names of ``COUNTED`` (max_nodes, max_attributes, ...) to the most messages
    of that kind the file may hold; ``max_fields`` caps every protobuf field together. Both are
    checked as the scan meets them, so a file of millions of tiny messages is refused after reading
    only as many as the limit, and the scan's own work list never holds more than the caps allow.
    """
    stats = WireStats()
    caps = caps or {}
    counts = stats.counts
    stack = [(MODEL, 0, len(buf), 1)]
    while stack:
        kind, pos, end, depth = stack.pop()
        stats.messages += 1
        if depth > stats.max_depth:
            stats.max_depth = depth
            if depth > max_depth:
                raise reject(
                    label,
                    ModelErrorCode.NESTING_TOO_DEEP,
                    f"protobuf messages nested {depth} deep (the limit is {max_depth}): a protobuf bomb, "
                    "or graphs nested inside node attributes far deeper than any real model",
                )
        while pos < end:
            try:
                tag, pos = _varint(buf, pos, end)
            except ValueError as exc:
                raise reject(label, ModelErrorCode.NOT_ONNX, f"not an ONNX model: {exc} (byte {pos})") from None
            stats.fields += 1
            if max_fields is not None and stats.fields > max_fields:
                raise reject(
                    label,
                    ModelErrorCode.TOO_MANY_MESSAGES,
                    f"more than {max_fields} protobuf fields: the limit is max_fields = {max_fields} "
                    "(counted by the wire scan; the model was not parsed)",
                )
            field, wire = tag >> 3, tag & 7
            if field == 0:
                raise reject(label, ModelErrorCode.NOT_ONNX, f"not an ONNX model: field number 0 at byte {pos}")
            try:
                if wire == 0:
                    _, pos = _varint(buf, pos, end)
                    continue
                if wire in (1, 5):
                    pos += 8 if wire == 1 else 4
                    if pos > end:
                        raise ValueError("a fixed-size field runs past the end of its message")
                    continue
                if wire != 2:
                    raise ValueError(f"wire type {wire} (field {field}), which ONNX never uses")
                length, pos = _varint(buf, pos, end)
            except ValueError as exc:
                raise reject(label, ModelErrorCode.NOT_ONNX, f"not an ONNX model: {exc} (byte {pos})") from None
            if length > end - pos:
                raise reject(
                    label,
                    ModelErrorCode.OVERSIZED_FIELD,
                    f"field {field} at byte {pos} declares {length} bytes but only {end - pos} remain in its "
                    "message (a protobuf bomb or a truncated file)",
                )
            child = NESTED.get((kind, field))
            if child is not None:
                if child in COUNTED:
                    n = counts[child] = counts.get(child, 0) + 1
                    cap = caps.get(COUNTED[child][1])
                    if cap is not None and n > cap:
                        raise _too_many(label, child, caps)
                stack.append((child, pos, pos + length, depth + 1))
            elif (kind, field) in PACKED_INTS:
                stats.packed_int_bytes += length
                if stats.packed_int_bytes > max_packed_int_bytes:
                    raise reject(
                        label,
                        ModelErrorCode.OVERSIZED_FIELD,
                        f"{stats.packed_int_bytes} bytes of packed integers (field {field} at byte {pos}) "
                        f"exceed the {max_packed_int_bytes}-byte limit: they expand up to 8-fold when parsed; "
                        "store weights as raw_data",
                    )
            pos += length
    return stats

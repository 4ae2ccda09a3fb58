"""Why a model upload is refused or its run failed: one stable code per reason, a message naming the file."""

from __future__ import annotations

from enum import StrEnum

from harness.problems import Problem, problem


class ModelErrorCode(StrEnum):
    # the upload
    BAD_ARCHIVE = "bad_archive"  # the zip failed intake's checks (the message says which)
    MANIFEST_MISSING = "manifest_missing"
    MANIFEST_INVALID = "manifest_invalid"
    MODEL_MISSING = "model_missing"
    # the protobuf, before it is parsed
    NOT_ONNX = "not_onnx"
    MODEL_TOO_LARGE = "model_too_large"
    NESTING_TOO_DEEP = "nesting_too_deep"
    OVERSIZED_FIELD = "oversized_field"
    # the graph
    INVALID_GRAPH = "invalid_graph"  # onnx.checker: attributes, types, topology
    TOO_MANY_NODES = "too_many_nodes"  # counted by the wire scan, before parsing
    TOO_MANY_MESSAGES = "too_many_messages"  # attributes, tensors, value infos, graphs, functions or fields
    CUSTOM_OPERATOR = "custom_operator"
    UNKNOWN_OPERATOR = "unknown_operator"
    OPSET_OUT_OF_RANGE = "opset_out_of_range"
    EXTERNAL_DATA_ESCAPE = "external_data_escape"
    EXTERNAL_DATA_MISSING = "external_data_missing"
    INITIALIZER_SIZE_MISMATCH = "initializer_size_mismatch"
    TOO_MUCH_DATA = "too_much_data"
    WRONG_INPUT = "wrong_input"
    WRONG_OUTPUT = "wrong_output"
    # the run (inside the child process)
    DEVICE_UNAVAILABLE = "device_unavailable"
    LOAD_FAILED = "load_failed"
    WALL_TIME_LIMIT = "wall_time_limit"
    CPU_TIME_LIMIT = "cpu_time_limit"
    MEMORY_LIMIT = "memory_limit"
    FILE_SIZE_LIMIT = "file_size_limit"
    CRASHED = "crashed"
    RUNTIME_ERROR = "runtime_error"
    WRONG_OUTPUT_SHAPE = "wrong_output_shape"
    MISSING_OUTPUTS = "missing_outputs"
    NO_INPUTS = "no_inputs"
    NON_FINITE = "non_finite"  # NaN or infinity in the model's output (named image)


class ModelRejected(Exception):
    """Raised by the checks; carries the problems found."""

    def __init__(self, errors: list[Problem]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def reject(file: str, code: ModelErrorCode, message: str) -> ModelRejected:
    return ModelRejected([problem(file, code, message)])

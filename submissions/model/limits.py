"""Caps on a model upload and on its run; every check and the child process read them from here."""

from __future__ import annotations

from pydantic import BaseModel, Field

# The ai.onnx opsets accepted: 13 (Squeeze/Unsqueeze take axes as inputs, the oldest opset current
# exporters still write) to 21 (torch.onnx's TorchScript exporter writes 17, its dynamo exporter 18).
OPSET_MIN = 13
OPSET_MAX = 21
STANDARD_DOMAINS = ("", "ai.onnx")


class ModelLimits(BaseModel):
    """What a model may take. Sizes in bytes, times in seconds, memory in MiB."""

    # the upload and the protobuf
    max_upload_bytes: int = 4 << 30
    max_model_bytes: int = (2 << 30) - 1  # protobuf's own 2 GiB cap: larger weights go to external data
    max_external_bytes: int = 4 << 30  # all external data files together
    max_data_bytes: int = 4 << 30  # all tensors (initializers, constants) together, as declared
    max_packed_int_bytes: int = 64 << 20  # packed varints expand up to 8x when parsed
    max_nesting: int = 40  # protobuf message depth (a graph inside a node attribute is 3 levels deeper)
    # counted by the wire scan before the file is parsed (nested graphs and functions included)
    max_nodes: int = 200_000
    max_attributes: int = 1_000_000
    max_tensors: int = 200_000  # initializers, sparse ones, Constant and attribute tensors
    max_value_infos: int = 200_000  # graph inputs, outputs, value_info
    max_graphs: int = 10_000  # the main graph and every subgraph (If, Loop, Scan bodies)
    max_functions: int = 1_000
    max_fields: int = 10_000_000  # every protobuf field together (bounds the scan's work)
    opset_min: int = OPSET_MIN
    opset_max: int = OPSET_MAX
    # the static checks, in their own child (the worker never parses an upload)
    check_memory_mb: int = Field(1024, description="address space of the check child, plus 3x the model file")
    check_cpu_s: int = Field(300, description="CPU seconds of the check child")
    check_wall_s: float = Field(600, description="wall clock of the check child")
    # the run, in the child process
    wall_s: float = Field(2 * 3600, description="whole child run, killed by the parent after this")
    cpu_s: int = Field(8 * 3600, description="CPU seconds of all the child's threads (RLIMIT_CPU)")
    memory_mb: int = Field(16 * 1024, description="address space on CPU (RLIMIT_AS), resident set on GPU runs")
    gpu_memory_mb: int = Field(32 * 1024, description="CUDA execution provider arena limit")
    max_output_file_bytes: int = Field(4 << 30, description="largest file the child may write (RLIMIT_FSIZE)")
    threads: int | None = Field(None, description="intra-op threads (default: every core)")
    network_isolation: bool = Field(True, description="run the children in a new network namespace when permitted")
    confine: bool = Field(True, description="private root, unprivileged user, no_new_privs (confine.enter)")
    # measurement (None: the protocol's defaults, 1 + 3 on CPU, 10 + 50 on CUDA)
    warmup: int | None = None
    repeats: int | None = None
    crosscheck_macs: bool = Field(True, description="also count MACs with onnx-tool, for comparison")

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
    max_nodes: int = 200_000
    opset_min: int = OPSET_MIN
    opset_max: int = OPSET_MAX
    # the run, in the child process
    wall_s: float = Field(2 * 3600, description="whole child run, killed by the parent after this")
    cpu_s: int = Field(8 * 3600, description="CPU seconds of all the child's threads (RLIMIT_CPU)")
    memory_mb: int = Field(16 * 1024, description="address space on CPU (RLIMIT_AS), resident set on GPU runs")
    gpu_memory_mb: int = Field(32 * 1024, description="CUDA execution provider arena limit")
    max_output_file_bytes: int = Field(4 << 30, description="largest file the child may write (RLIMIT_FSIZE)")
    threads: int | None = Field(None, description="intra-op threads (default: every core)")
    network_isolation: bool = Field(True, description="run the child in a new network namespace when permitted")
    # measurement (None: the protocol's defaults, 1 + 3 on CPU, 10 + 50 on CUDA)
    warmup: int | None = None
    repeats: int | None = None
    crosscheck_macs: bool = Field(True, description="also count MACs with onnx-tool, for comparison")

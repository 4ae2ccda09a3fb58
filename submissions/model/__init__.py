"""Model submissions: a team uploads an ONNX model; the harness checks it statically, then measures
and runs it in a contained child process with the protocol of its own baselines.

Entry point: :func:`submissions.model.pipeline.run_model` (re-exported here; the package's own
modules import from the defining modules, never from here), which returns a
:class:`ModelRunReport`. Modules: ``manifest`` (manifest.toml), ``upload`` (safe reading of the
upload), ``wire`` (protobuf scan before parsing), ``inspect`` (static checks, params), ``macs``
(MACs per operator), ``check`` (the static checks, in their own capped child), ``confine`` (what a
child does to itself first: private root, unprivileged user, no_new_privs), ``sandbox`` (starting and
supervising children, and their limits), ``child`` (what runs the model inside).
"""

from submissions.model.errors import ModelErrorCode
from submissions.model.limits import OPSET_MAX, OPSET_MIN, ModelLimits
from submissions.model.manifest import ModelManifest
from submissions.model.pipeline import ModelRunReport, run_model

__all__ = [
    "OPSET_MAX",
    "OPSET_MIN",
    "ModelErrorCode",
    "ModelLimits",
    "ModelManifest",
    "ModelRunReport",
    "run_model",
]

"""The challenge core: its specification (``spec``: ``challenge.toml``), where its files live
(``layout``), the patch grid (``grid``), a simulated camera's settings (``isp``) and a model run's
time limit (``wall``)."""

from harness.challenge.layout import ChallengeLayout, SplitLayout
from harness.challenge.spec import (
    FILENAME,
    ChallengeSpec,
    Misalignment,
    SplitSpec,
    TrackSpec,
    load_challenge,
    save_challenge,
)

__all__ = [
    "FILENAME",
    "ChallengeLayout",
    "ChallengeSpec",
    "Misalignment",
    "SplitLayout",
    "SplitSpec",
    "TrackSpec",
    "load_challenge",
    "save_challenge",
]

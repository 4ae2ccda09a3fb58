"""A challenge: its specification (``challenge.toml``) and where its files live."""

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

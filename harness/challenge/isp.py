"""The settings of a simulated camera ISP, as a generated challenge records them per track.

Only the model lives here (the challenge spec carries it); ``harness.sim.camera`` renders with it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IspConfig(BaseModel):
    """Settings of one simulated camera (levels in the track's RAW units)."""

    model_config = ConfigDict(frozen=True)

    black: float = 0.0
    white: float = 1023.0
    wb_gains: tuple[float, float, float] = (2.0, 1.0, 1.6)  # R, G, B
    ccm: tuple[tuple[float, float, float], ...] = (
        (1.65, -0.45, -0.20),
        (-0.25, 1.50, -0.25),
        (0.00, -0.55, 1.55),
    )
    exposure: float = 1.0
    local_tone: float = Field(0.25, ge=0, le=1, description="strength of the local tone mapping")
    tone: float = Field(0.35, ge=0, le=1, description="blend of the S-shaped global tone curve")
    sharpen: float = Field(0.4, ge=0, le=2, description="unsharp-mask amount")
    jpeg_quality: int = Field(92, ge=1, le=100)

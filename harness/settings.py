"""The offline library's settings: the few ``HARNESS_*`` variables that work without a service.

The data directory, the challenge the commands act on by default, the scoring threads, the
folder of real sensor captures and the LPIPS backbone file. The service's settings (``leaderboard.settings``) extend this
object; no other module of ``harness`` reads the environment, and library functions take these
values as parameters, so they can be called without any settings at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# the crops shipped in the package, used when HARNESS_RAW_CAPTURES_DIR names no other folder
PACKAGED_CAPTURES = Path(__file__).resolve().parent / "sim" / "captures"


class LibrarySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HARNESS_", extra="ignore")

    data_dir: Path = Path("var")
    challenge: str = "demo"  # the challenge commands (and the service) act on, under data_dir/challenges
    workers: int | None = None  # scoring threads; None = every core
    raw_captures_dir: Path = PACKAGED_CAPTURES  # real sensor captures for the demo challenge
    # torchvision's alexnet-owt-7be5be79.pth, supplied by the organiser (harness.metrics.lpips); never downloaded
    lpips_backbone: Path | None = None

    @field_validator("lpips_backbone", mode="before")
    @classmethod
    def _empty_is_unset(cls, v):
        return None if isinstance(v, str) and not v.strip() else v  # HARNESS_LPIPS_BACKBONE= means none


@lru_cache
def get_settings() -> LibrarySettings:
    return LibrarySettings()

"""The service's settings: the library's (``harness.settings``) plus database, broker, organiser
token, trusted proxies, registration, jobs, model sandbox limits and serve options.

A service process builds this one object (``get_settings``) and hands it down; no other module
of the service reads the environment.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from harness.errors import Invalid
from harness.settings import LibrarySettings
from leaderboard.queues import known_queues

MIN_ORGANISER_TOKEN = 32  # characters: secrets.token_urlsafe(32) gives 43

# the variables the organiser token is read from, the first one winning; the second is deprecated
ORGANISER_TOKEN_ENV = ("HARNESS_ORGANISER_TOKEN", "HARNESS_ORGANIZER_TOKEN")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(LibrarySettings):
    """Every field of ``LibrarySettings`` (data_dir, challenge, workers, raw_captures_dir) and the service's own."""

    model_config = SettingsConfigDict(env_prefix="HARNESS_", extra="ignore", populate_by_name=True)

    database_url: str | None = None
    database_busy_timeout_s: float = 30.0  # SQLite: wait this long for a lock, then answer 503 + Retry-After
    broker_url: str | None = None  # None: the embedded broker (SQLite files under data_dir)
    # at least MIN_ORGANISER_TOKEN characters, or the service refuses to start; HARNESS_ORGANIZER_TOKEN
    # (the former spelling) is still read when HARNESS_ORGANISER_TOKEN is unset
    organiser_token: str | None = Field(default=None, validation_alias=AliasChoices(*ORGANISER_TOKEN_ENV))
    auth_failures_per_minute: int = 10  # unknown bearer tokens per client address and minute, then 429
    registration_open: bool = True
    registration_per_hour: int = 20  # new teams per client address and hour (a second team sidesteps quotas)
    registration_approval: bool = False  # new teams submit only once an organiser approved them
    # addresses or CIDRs of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto / Forwarded
    # headers are believed (comma-separated); empty: those headers are ignored from every peer
    trusted_proxies: str = ""
    max_upload_bytes: int = 1 << 30
    # jobs (docs/ARCHITECTURE.md, "Jobs and scale"): the database is the truth, the reaper the guarantee
    job_max_attempts: int = 3  # a job whose worker dies or crashes this often ends failed
    job_heartbeat_s: float = 5.0  # how often a running job (and each worker) reports alive
    job_stale_s: float = 30.0  # no heartbeat for this long: the job's worker is taken for dead
    job_redispatch_s: float = 300.0  # a queued job nobody took for this long is sent again
    job_time_limit_s: float = 7200.0  # longest job; broker redelivery timeouts are set above it
    # model submissions (ONNX) run in a child process with these limits, on this device
    model_device: str = "auto"  # auto | cpu | cuda (auto: CUDA where onnxruntime has it)
    model_wall_s: float = 3600.0
    model_cpu_s: int = 4 * 3600
    model_memory_mb: int = 8 * 1024
    model_measure_full: bool = True  # also time one full-resolution image
    # `harness serve` and its workers: info (every request, banners), or warning for quiet logs
    log_level: str = "info"
    serve_worker: bool | None = None  # `harness serve` runs a worker: None = only with the embedded broker
    # the queues `harness serve` runs a worker for, one process each: a web node may leave `gpu` (baseline
    # and model runs) to the GPU machines' workers and score on `cpu` alone
    serve_queues: str = "cpu,gpu"  # comma-separated, of cpu and gpu

    @field_validator("serve_queues")
    @classmethod
    def _known_queues(cls, v: str) -> str:
        return ",".join(known_queues([q.strip() for q in v.split(",") if q.strip()]))

    @property
    def served_queues(self) -> list[str]:
        """The queues `harness serve` runs a worker for."""
        return self.serve_queues.split(",") if self.serve_queues else []

    # a reference table (TOML, the format of baselines/tables/*.toml) used in place of the shipped one
    # the challenge names, e.g. a copy of aim2022.toml with the report's score cells filled in
    reference_file: Path | None = None


class UnfitSetting(Invalid):
    """A setting the service cannot start with; ``variable`` names it, ``code`` is stable."""

    def __init__(self, variable: str, code: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.code = code


def trusted_networks(settings: Settings) -> tuple[Network, ...]:
    """``HARNESS_TRUSTED_PROXIES`` as networks (an address is a /32 or /128); refused when one is no address."""
    out = []
    for item in (part.strip() for part in settings.trusted_proxies.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise UnfitSetting(
                "HARNESS_TRUSTED_PROXIES",
                "bad_trusted_proxy",
                f"{item!r} is neither an IP address nor a CIDR network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)",
            ) from None
    return tuple(out)


def check_service(settings: Settings) -> None:
    """What the web service refuses to start with: a guessable organiser token, a proxy that is no address,
    an LPIPS backbone that is not torchvision's AlexNet file (size, then sha256)."""
    token = settings.organiser_token
    if token is not None and len(token) < MIN_ORGANISER_TOKEN:
        raise UnfitSetting(
            "HARNESS_ORGANISER_TOKEN",
            "organiser_token_too_short",
            f"the organiser token has {len(token)} characters; at least {MIN_ORGANISER_TOKEN} are required "
            '(make one with: python -c "import secrets; print(secrets.token_urlsafe(32))")',
        )
    if settings.auth_failures_per_minute < 1:
        raise UnfitSetting("HARNESS_AUTH_FAILURES_PER_MINUTE", "bad_auth_failures", "must be at least 1")
    trusted_networks(settings)
    if settings.lpips_backbone is not None:  # a forward track's LPIPS: the wrong file is named now, not at a score
        from harness.metrics.lpips import BACKBONE_SHA256, BACKBONE_SIZE, LpipsError, verify_backbone

        try:
            verify_backbone(settings.lpips_backbone, BACKBONE_SIZE, BACKBONE_SHA256)
        except LpipsError as exc:
            raise UnfitSetting("HARNESS_LPIPS_BACKBONE", "bad_lpips_backbone", str(exc)) from None


def env_names(field: str) -> tuple[str, ...]:
    """The environment variables a field of ``Settings`` is read from (its aliases, else HARNESS_<NAME>)."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (f"HARNESS_{field.upper()}",)


@lru_cache
def get_settings() -> Settings:
    return Settings()


def database_url(settings: Settings) -> str:
    """The configured database, or the embedded SQLite file under the data dir."""
    return settings.database_url or f"sqlite:///{(settings.data_dir / 'harness.db').resolve()}"


def broker_urls(settings: Settings) -> tuple[str, str]:
    """(broker, result backend): the configured broker, or Celery over SQLite files under the data dir.

    Job results live in the harness database; the result backend only serves Celery's own tools.
    """
    url = settings.broker_url
    if url:
        return url, ("rpc://" if url.startswith("amqp") else url)
    root = settings.data_dir.resolve()
    return f"sqla+sqlite:///{root / 'broker.sqlite'}", f"db+sqlite:///{root / 'results.sqlite'}"

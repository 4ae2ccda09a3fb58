"""Plain helpers the test packages share: no fixtures here (those live in the conftest.py files).

- arrays on disk: ``save``, ``npy_bytes``;
- the leaderboard service on a tiny challenge: ``build_tiny_challenge``, ``make_zip``, ``team``,
  ``submit``, ``wait``, ``query`` and the local PostgreSQL (``postgres_url``, ``drop_postgres``);
- upload archives for intake: ``good_entries``, ``write_zip``;
- the browser: ``CHROMIUM``, ``ARGS``, ``ARTIFACTS``;
- the baselines' RGB challenge and environment: ``build_rgb_challenge``, ``env_for``;
- organiser files that must not change: ``snapshot``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from harness.challenge import ChallengeLayout, ChallengeSpec, SplitSpec, TrackSpec, save_challenge
from harness.raw import pack
from harness.rgbio import encode_jpeg
from harness.sim.camera import IspConfig

# --- arrays on disk ---------------------------------------------------------------------------


def save(path, arr) -> None:
    """np.save to an exact path (np.save would append .npy to other suffixes)."""
    with open(path, "wb") as f:
        np.save(f, arr)


def npy_bytes(arr) -> bytes:
    """The bytes np.save writes for ``arr``."""
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


# --- the service on a tiny challenge ----------------------------------------------------------

ORG = "organiser-secret-of-the-test-services-0123"  # at least 32 characters, or the service refuses to start
SHAPE = (16, 16, 4)
STEMS = ("0", "1", "2")


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_url() -> str:
    """A fresh database on the local PostgreSQL (trust auth); in CI it must be there."""
    name = f"harness_test_{os.getpid()}_{int(time.time() * 1000)}"
    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); CI never skips this")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_postgres(url: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def query(db_url: str, sql: str, **params):
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params).fetchall()]
    finally:
        engine.dispose()


def build_tiny_challenge(root: Path, *, test1_limits: tuple[int, int] = (3, 5)) -> Path:
    """Track s7 (test1 public, test2 hidden, test3 roomy) with three 16x16 GT images per split."""
    rng = np.random.default_rng(0)
    per_day, total = test1_limits
    splits = [
        SplitSpec(name="train", kind="train"),
        SplitSpec(name="test1", limit_per_day=per_day, limit_total=total),
        SplitSpec(name="test2", visibility="hidden", primary_metric="ssim"),
        SplitSpec(name="test3", limit_per_day=3, limit_total=50),
    ]
    track = TrackSpec(
        name="s7", title="S7", camera="test", black=0, white=1023, patch=16, isp=IspConfig(), splits=splits
    )
    spec = ChallengeSpec(name="demo", title="Test challenge", tracks=[track])
    chal = root / "challenges" / "demo"
    for split in ("test1", "test2", "test3"):
        gt = chal / "s7" / split / "gt"
        gt.mkdir(parents=True)
        for stem in STEMS:
            (gt / f"{stem}.npy").write_bytes(npy_bytes(rng.integers(100, 900, SHAPE).astype(np.uint16)))
    save_challenge(spec, chal)
    return root


def gt_of(data_dir, split, stem):
    return np.load(data_dir / "challenges" / "demo" / "s7" / split / "gt" / f"{stem}.npy")


def make_zip(data_dir, split="test1", noise=10, *, bad: str | None = None, seed=1) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for stem in STEMS:
            g = gt_of(data_dir, split, stem).astype(int)
            pred = np.clip(g + rng.integers(-noise, noise + 1, g.shape), 0, 1024).astype(np.uint16)
            if bad == "dtype" and stem == "1":
                pred = pred.astype(np.float32)
            if bad == "missing" and stem == "2":
                continue
            zf.writestr(f"preds/{stem}.npy", npy_bytes(pred))
        zf.writestr(
            "preds/readme.txt",
            "Runtime per image [s] : 0.1\nCPU[1] / GPU[0] : 0\nExtra Data [1] / No Extra Data [0] : 0\nOther description : t\n",
        )
    return buf.getvalue()


def team(server, name) -> dict:
    r = httpx.post(f"{server}/api/teams", json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()


def submit(server, token, payload: bytes, split="test1", **facts) -> httpx.Response:
    data = {"track": "s7", "split": split, **{k: str(v) for k, v in facts.items()}}
    return httpx.post(
        f"{server}/api/submissions",
        headers={"Authorization": f"Bearer {token}"},
        data=data,
        files={"file": ("sub.zip", payload, "application/zip")},
    )


def wait(server, token, sub_id, timeout=60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        doc = httpx.get(f"{server}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {token}"}).json()
        if doc["status"] in ("scored", "failed"):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"submission {sub_id} stuck in {doc['status']}")


# --- upload archives for intake ----------------------------------------------------------------

INTAKE_README = b"Runtime per image [s] : 0.5\nCPU[1] / GPU[0] : 0\nExtra Data [1] / No Extra Data [0] : 0\nOther description : test\n"


def write_zip(path: Path, entries: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    """A zip at ``path`` holding ``entries`` (name -> bytes), written as given (no checks)."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def good_entries(rng, prefix="") -> dict[str, bytes]:
    """A valid upload's entries: three 16x16x4 predictions and a readme, under ``prefix``."""
    e = {f"{prefix}{s}.npy": npy_bytes(rng.integers(0, 1025, SHAPE).astype(np.uint16)) for s in ("0", "1", "2")}
    e[f"{prefix}readme.txt"] = INTAKE_README
    return e


# --- the browser ---------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("HARNESS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --- the baselines' tiny RGB challenge -----------------------------------------------------------

BASELINE_ORG = "org-token-of-the-baseline-test-services"
RGB_PATCH = 16  # packed RAW side; RGB patches are 32 x 32 and full images 6x8 patches


# a served instance that runs no baseline or model job needs no `gpu` worker (one process fewer to start)
CPU_ONLY = "cpu"


def env_for(data_dir, org: str = BASELINE_ORG, *, queues: str | None = None) -> dict:
    """The environment of a service or CLI run on ``data_dir`` (no HARNESS_* leaks in from outside);
    ``queues``: those `harness serve` runs a worker for (default: every queue)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data_dir), HARNESS_ORGANIZER_TOKEN=org, HARNESS_WORKERS="1", HARNESS_JOB_HEARTBEAT_S="0.5"
    )
    if queues is not None:
        env["HARNESS_SERVE_QUEUES"] = queues
    return env


def smooth_scene(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random linear RGB image in [0.02, 0.9] (upsampled noise)."""
    small = rng.uniform(0.02, 0.9, (h // 8 + 1, w // 8 + 1, 3))
    ys, xs = np.linspace(0, small.shape[0] - 1, h), np.linspace(0, small.shape[1] - 1, w)
    rows = np.stack(
        [np.interp(ys, np.arange(small.shape[0]), small[:, j, c]) for j in range(small.shape[1]) for c in range(3)],
        axis=1,
    ).reshape(h, small.shape[1], 3)
    return np.stack(
        [
            np.stack([np.interp(xs, np.arange(small.shape[1]), rows[i, :, c]) for c in range(3)], axis=-1)
            for i in range(h)
        ]
    )


def rgb_raw_pair(rng, h, w, black=0, white=1023):
    """(RGB uint8 h x w x 3, packed RAW uint16): RAW = linear mosaic, RGB = its gamma-encoded rendering."""
    lin = smooth_scene(rng, h, w)
    rgb = np.clip(255 * lin ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)
    mosaic = np.empty((h, w))
    mosaic[0::2, 0::2] = lin[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = lin[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = lin[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = lin[1::2, 1::2, 2]
    raw = np.round(black + (white - black) * mosaic).astype(np.uint16)
    return rgb, pack(raw)


def build_rgb_challenge(root: Path) -> Path:
    """A tiny challenge with RGB inputs: a learnable sRGB -> RAW mapping at small sizes, for CPU tests."""
    rng = np.random.default_rng(7)
    splits = [
        SplitSpec(name="train", kind="train"),
        SplitSpec(name="test1", limit_per_day=50, limit_total=100),
        SplitSpec(name="test2", visibility="hidden", full_resolution=True),
    ]
    tracks = [
        TrackSpec(
            name=name,
            title=name,
            camera="test",
            black=black,
            white=white,
            patch=RGB_PATCH,
            isp=IspConfig(black=black, white=white),
            splits=splits,
        )
        for name, black, white in (("s7", 0, 1023), ("p20", 60, 1020))
    ]
    chal = ChallengeLayout.under(root, "demo")
    for t in tracks:
        for split, n in (("train", 6), ("test1", 3)):
            where = chal.split(t.name, split)
            target = where.raw if split == "train" else where.gt
            for folder in (where.rgb, target):
                folder.mkdir(parents=True)
            for i in range(n):
                side = 64 if split == "train" else 2 * RGB_PATCH
                rgb, raw = rgb_raw_pair(rng, side, side, t.black, t.white)
                where.rgb_path(str(i)).write_bytes(encode_jpeg(rgb, 95))
                save(target / f"{i}.npy", raw)
        rows, cols = t.grid
        rgb, raw = rgb_raw_pair(rng, 2 * rows * RGB_PATCH, 2 * cols * RGB_PATCH, t.black, t.white)
        test2 = chal.split(t.name, "test2")
        for folder in (test2.full.rgb, test2.full.gt, test2.rgb, test2.gt):
            folder.mkdir(parents=True)
        test2.full.rgb_path("0").write_bytes(encode_jpeg(rgb, 95))
        save(test2.full.gt_of("0"), raw)
        for k in range(rows * cols):
            r, c = divmod(k, cols)
            save(test2.gt_of(f"0_{k}"), raw[r * RGB_PATCH : (r + 1) * RGB_PATCH, c * RGB_PATCH : (c + 1) * RGB_PATCH])
            crop = rgb[2 * r * RGB_PATCH : 2 * (r + 1) * RGB_PATCH, 2 * c * RGB_PATCH : 2 * (c + 1) * RGB_PATCH]
            test2.rgb_path(f"0_{k}").write_bytes(encode_jpeg(crop, 95))
    save_challenge(ChallengeSpec(name="demo", title="tiny", tracks=tracks), chal.root)
    return root


# --- organiser files -----------------------------------------------------------------------------


def snapshot(files: list[Path]) -> dict[str, tuple]:
    """What must not change in the organiser's files: bytes, mtime, permissions."""
    out = {}
    for p in files:
        st = p.stat()
        out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns, stat.S_IMODE(st.st_mode), st.st_size)
    return out


FORWARD_STEMS = ("0", "1", "2")


def build_tiny_forward(root: Path, *, patch: int = 16, train: int = 3) -> Path:
    """Track fwd (forward: RAW in, sRGB PNG out) of the simulated S7-like camera: test1 public and
    test2 hidden, three smooth random scenes each, ``train`` pairs of 2 * patch to train on."""
    from harness.rgbio import encode_png
    from harness.sim.camera import render

    rng = np.random.default_rng(5)
    isp = IspConfig(black=0, white=1023, local_tone=0.2, tone=0.3, sharpen=0.3)
    splits = [
        SplitSpec(name="train", kind="train"),
        SplitSpec(name="test1", models="none", limit_per_day=20, limit_total=50),
        SplitSpec(name="test2", visibility="hidden", models="none"),
    ]
    track = TrackSpec(
        name="fwd",
        title="Forward",
        camera="test",
        kind="forward",
        black=0,
        white=1023,
        patch=patch,
        isp=isp,
        splits=splits,
    )
    spec = ChallengeSpec(name="demo", title="Forward test challenge", tracks=[track])
    layout = ChallengeLayout.under(root, "demo")

    def scene(side: int) -> np.ndarray:
        # blocks of grey-ish colour as the sensor sees them (red and blue below green, by the camera's gains)
        coarse = rng.uniform(60, 800, (side // 4, side // 4, 1)) * rng.uniform(0.8, 1.2, (side // 4, side // 4, 4))
        coarse *= np.array([1 / isp.wb_gains[0], 1.0, 1.0, 1 / isp.wb_gains[2]])
        raw = np.kron(coarse, np.ones((4, 4, 1))) + rng.normal(0, 4, (side, side, 4))
        return np.clip(np.round(raw), 0, 1023).astype(np.uint16)

    for split, n, side in (("test1", 3, patch), ("test2", 3, patch), ("train", train, 2 * patch)):
        where = layout.split("fwd", split, "forward")
        where.raw.mkdir(parents=True, exist_ok=True)
        for stem in FORWARD_STEMS[:n] if split != "train" else [str(i) for i in range(n)]:
            raw = scene(side)
            save(where.raw_of(stem), raw)
            target = where.rgb_file(stem, ".png") if split == "train" else where.gt_of(stem)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(encode_png(render(raw, isp)))
    save_challenge(spec, layout.root)
    return root

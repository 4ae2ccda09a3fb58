"""Running a model submission in the contained child: predictions like baselines.infer, the protocol's
measurements, and hostile models (endless loops, memory hogs, wrong shapes, crashes) failing with their own
reason without leaving files behind or taking the parent down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from harness.rgbio import read_rgb
from submissions.model import ModelErrorCode as C
from submissions.model import ModelLimits, run_model
from submissions.model.sandbox import ChildRequest, _child_env, isolation, run_child
from tests.submissions import model_helpers as mh

FAST = dict(threads=1, warmup=0, repeats=1, crosscheck_macs=False)


@pytest.fixture
def env(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    return {"track": mh.tiny_track(), "split": mh.tiny_split(tmp_path / "split"), "work": work, "tmp": tmp_path}


def run(env, up, *, out="out", limits=None, **kw):
    limits = limits or ModelLimits(**FAST)
    report = run_model(
        up, env["track"], env["split"], env["tmp"] / out, limits=limits, work_root=env["work"], device="cpu", **kw
    )
    assert list(env["work"].iterdir()) == [], "the private folder is removed"
    return report


def failed(env, up, code, **limits):
    report = run(env, up, limits=ModelLimits(**{**FAST, **limits}))
    assert not report.ok and [e.code for e in report.errors] == [code], report.errors
    assert not (env["tmp"] / "out").exists(), "no predictions are left behind"
    return report.errors[0]


def naive_raw(rgb: np.ndarray) -> np.ndarray:
    """What the mosaic Conv predicts: each cell's R, Gr, Gb, B / 255, x1024, truncated."""
    x = rgb.astype(np.float32) / np.float32(255)
    cells = np.stack([x[0::2, 0::2, 0], x[0::2, 1::2, 1], x[1::2, 0::2, 1], x[1::2, 1::2, 2]], axis=-1)
    return (np.clip(cells, 0.0, 1.0) * 1024.0).astype(np.uint16)


def test_a_healthy_model_predicts_and_is_measured(env):
    up = mh.upload(env["tmp"] / "m.zip", mh.healthy(), mh.manifest())
    report = run(env, up, limits=ModelLimits(threads=1, warmup=1, repeats=3))
    assert report.ok, report.errors
    assert report.files == ["p0.npy", "p1.npy"] and report.n_inputs == 2
    for stem in ("p0", "p1"):
        pred = np.load(env["tmp"] / "out" / f"{stem}.npy")
        assert pred.dtype == np.uint16 and pred.shape == (mh.PATCH, mh.PATCH, 4)
        np.testing.assert_array_equal(pred, naive_raw(read_rgb(env["split"].rgb_of(stem))))
    assert report.params == 52 and report.params_constant == 0
    assert report.macs_patch == mh.PATCH * mh.PATCH * 48 and report.macs_by_op == {"Conv": mh.PATCH * mh.PATCH * 48}
    assert report.macs_onnx_tool == {"Conv": mh.PATCH * mh.PATCH * (48 + 4)}  # onnx-tool adds one per bias add
    assert report.runtime_patch_ms > 0 and report.repeats == 3 and report.peak_memory_mb > 0
    assert report.device == "cpu" and "CPU" in report.device_name and report.onnxruntime_version
    assert report.input_patch == (2 * mh.PATCH, 2 * mh.PATCH)
    assert report.network_isolated == bool(isolation()[0]) and report.isolation_note


@pytest.mark.parametrize("mode", ["patches", "whole"])
def test_full_resolution_images_are_cut_into_the_grid(env, mode):
    up = mh.upload(env["tmp"] / "m.zip", mh.healthy(), mh.manifest(multiple=16, mode=mode))
    report = run(env, up, full=True, measure_full=True)
    assert report.ok, report.errors
    assert len(report.files) == 48 and report.files[47] == "img_47.npy"
    raw = naive_raw(read_rgb(env["split"].full.rgb_of("img")))
    p = mh.PATCH
    for k in (0, 13, 47):
        r, c = divmod(k, 8)
        np.testing.assert_array_equal(
            np.load(env["tmp"] / "out" / f"img_{k}.npy"), raw[r * p : (r + 1) * p, c * p : (c + 1) * p]
        )
    assert report.macs_full == 6 * 8 * report.macs_patch and report.runtime_full_ms > 0


def test_measuring_without_a_split(env):
    up = mh.upload(env["tmp"] / "m.onnx", mh.healthy())
    report = run_model(up, env["track"], None, None, limits=ModelLimits(**FAST), work_root=env["work"], device="cpu")
    assert report.ok and report.files == [] and report.macs_patch == mh.PATCH * mh.PATCH * 48
    assert list(env["work"].iterdir()) == []


def test_an_endless_loop_hits_the_cpu_time_limit(env):
    up = mh.upload(env["tmp"] / "loop.onnx", mh.endless_loop())
    e = failed(env, up, C.CPU_TIME_LIMIT, cpu_s=3, wall_s=120)
    assert e.file == "loop.onnx" and "CPU-time limit of 3 s" in e.message


def test_an_endless_loop_hits_the_wall_clock_limit(env):
    up = mh.upload(env["tmp"] / "loop.onnx", mh.endless_loop())
    e = failed(env, up, C.WALL_TIME_LIMIT, cpu_s=600, wall_s=4)
    assert "wall-clock limit of 4 s" in e.message and "while" in e.message


def test_a_memory_hog_hits_the_memory_limit(env):
    up = mh.upload(env["tmp"] / "hog.onnx", mh.memory_hog())  # 3 GiB for a 16 px patch
    e = failed(env, up, C.MEMORY_LIMIT, memory_mb=1536)
    assert "hog.onnx" in e.message


def test_a_wrong_output_shape(env):
    up = mh.upload(env["tmp"] / "m.onnx", mh.wrong_shape())
    e = failed(env, up, C.WRONG_OUTPUT_SHAPE)
    assert "expected float32 (1, 4, 8, 8)" in e.message and "(1, 4, 16, 16)" in e.message


def test_a_crashing_child_is_reported_not_raised(env, tmp_path):
    work = tmp_path / "crash"
    work.mkdir()
    request = ChildRequest(
        model="nothing.onnx", input_name="rgb", output_name="raw", multiple=2, mode="patches", patch=8,
        cpu_s=-5, address_space_bytes=None, file_size_bytes=1 << 20, gpu_memory_bytes=0,
    )  # fmt: skip
    outcome = run_child(work, request, ModelLimits(), "m.onnx")
    assert (
        outcome.result is None and outcome.error.code == C.CRASHED and "exited with status 1" in outcome.error.message
    )
    request.cpu_s = 60
    outcome = run_child(work, request, ModelLimits(), "m.onnx")
    assert outcome.error.code == C.LOAD_FAILED and "m.onnx" in outcome.error.message


def test_the_parent_survives_every_hostile_model_then_runs_a_healthy_one(env):
    hostile = {
        "loop.onnx": (mh.endless_loop(), C.CPU_TIME_LIMIT),
        "hog.onnx": (mh.memory_hog(), C.MEMORY_LIMIT),
        "shape.onnx": (mh.wrong_shape(), C.WRONG_OUTPUT_SHAPE),
    }
    for name, (model, code) in hostile.items():
        failed(env, mh.upload(env["tmp"] / name, model), code, cpu_s=8, wall_s=40, memory_mb=1536)
    bad = env["tmp"] / "bad.onnx"
    bad.write_bytes(mh.deep_model_bytes(1000))
    failed(env, bad, C.NESTING_TOO_DEEP)
    report = run(env, mh.upload(env["tmp"] / "ok.onnx", mh.healthy()))
    assert report.ok and sorted(os.listdir(env["tmp"] / "out")) == ["p0.npy", "p1.npy"]


def test_the_child_environment_carries_no_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_ORGANISER_TOKEN", "secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    env = _child_env(tmp_path, 2)
    assert "secret" not in env.values() and env["HOME"] == str(tmp_path) and env["OMP_NUM_THREADS"] == "2"


def test_the_network_namespace_has_no_network():
    prefix, note = isolation()
    if not prefix:
        pytest.skip(note)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
        assert subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0
        assert subprocess.run([*prefix, "--", sys.executable, "-c", probe], capture_output=True).returncode != 0

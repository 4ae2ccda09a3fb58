"""The sandboxed children: refused models never parsed by the worker, the child confined to its folder as an
unprivileged user, NaN outputs refused by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from submissions.model import ModelErrorCode as C
from submissions.model import ModelLimits, run_model
from submissions.model.errors import ModelRejected
from submissions.model.upload import load_model
from tests.submissions import model_helpers as mh

FAST = dict(threads=1, warmup=0, repeats=1, crosscheck_macs=False)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    return {"track": mh.tiny_track(), "split": mh.tiny_split(tmp_path / "split"), "work": work, "tmp": tmp_path}


def test_message_counts_are_refused_by_the_wire_scan(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(mh.tiny_nodes_bytes(101))
    with pytest.raises(ModelRejected) as exc:
        load_model(path, "m.onnx", ModelLimits(max_nodes=100))
    (e,) = exc.value.errors
    assert e.code == C.TOO_MANY_NODES and "more than 100 nodes" in e.message and "max_nodes = 100" in e.message
    assert load_model(path, "m.onnx", ModelLimits(max_nodes=101)).graph.node[100].op_type == "Relu"
    with pytest.raises(ModelRejected) as exc:
        load_model(path, "m.onnx", ModelLimits(max_fields=250))
    assert exc.value.errors[0].code == C.TOO_MANY_MESSAGES and "max_fields = 250" in exc.value.errors[0].message
    m = mh.healthy()
    path.write_bytes(m.SerializeToString())
    with pytest.raises(ModelRejected) as exc:
        load_model(path, "m.onnx", ModelLimits(max_tensors=1))
    (e,) = exc.value.errors
    assert e.code == C.TOO_MANY_MESSAGES and "max_tensors = 1" in e.message
    with pytest.raises(ModelRejected) as exc:
        load_model(path, "m.onnx", ModelLimits(max_attributes=1))
    assert "max_attributes = 1" in exc.value.errors[0].message


PROBE = """
import json, sys
from pathlib import Path
from submissions.model import ModelLimits, run_model
from tests.submissions import model_helpers as mh
tmp = Path(sys.argv[1])
up = tmp / "nodes.onnx"
up.write_bytes(mh.tiny_nodes_bytes(4_000_000))
report = run_model(up, mh.tiny_track(), None, None, limits=ModelLimits(), work_root=tmp, device="cpu")
hwm = [int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(json.dumps({"codes": [e.code for e in report.errors], "message": report.errors[0].message,
                  "check_mb": report.check_peak_memory_mb, "worker_mb": hwm, "size": up.stat().st_size}))
"""


def test_4m_tiny_nodes_are_refused_without_parsing_within_512_mb(tmp_path):
    """The process that calls run_model (the worker) and the check child both stay far below 512 MB."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["size"] > 50_000_000
    assert res["codes"] == ["too_many_nodes"] and "the model was not parsed" in res["message"]
    assert res["worker_mb"] < 512 and 0 < res["check_mb"] < 512, res


CONFINED = """
import json, os, sys
from pathlib import Path
from submissions.model.confine import enter
folder, secrets = Path(sys.argv[1]), sys.argv[2:]
held = enter(folder)
seen = {}
for p in secrets:
    try:
        open(p, "rb").close()
        seen[p] = "read"
    except OSError as exc:
        seen[p] = exc.__class__.__name__
try:
    open(str(folder.parent / "escape.txt"), "w").close()
    wrote_outside = True
except OSError:
    wrote_outside = False
(folder / "out.txt").write_text("mine")
status = open("/proc/self/status").read()
nnp = [line.split()[1] for line in status.splitlines() if line.startswith("NoNewPrivs:")][0]
import onnxruntime
print(json.dumps({"held": held, "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "seen": seen,
                  "wrote_outside": wrote_outside, "no_new_privs": nnp, "root": sorted(os.listdir("/"))}))
"""


def test_the_child_is_confined_to_its_folder_as_an_unprivileged_user(tmp_path):
    data = tmp_path / "data"
    (data / "challenges" / "demo" / "s7" / "test1" / "gt").mkdir(parents=True)
    db = data / "harness.db"
    db.write_bytes(b"SQLite format 3\x00")
    gt = data / "challenges" / "demo" / "s7" / "test1" / "gt" / "p0.npy"
    gt.write_bytes(b"\x93NUMPY")
    for p in (data, db, gt, *gt.parents):
        if data in (p, *p.parents):
            p.chmod(0o755 if p.is_dir() else 0o644)  # readable by anyone outside: only the root hides them
    folder = data / "work" / "job"
    folder.mkdir(parents=True)
    out = subprocess.run(
        [sys.executable, "-c", CONFINED, str(folder), str(db), str(gt), "/etc/shadow", str(ROOT / "pyproject.toml")],
        capture_output=True, text=True, cwd=folder, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(res["held"]) >= {"mount_namespace", "private_root", "uid 65534", "no_new_privs"}, res
    assert res["uid"] == 65534 and res["gid"] == 65534 and res["groups"] == [] and res["no_new_privs"] == "1"
    assert set(res["seen"].values()) == {"FileNotFoundError"}, res["seen"]  # not even visible
    assert not res["wrote_outside"] and not (data / "work" / "escape.txt").exists()
    assert (folder / "out.txt").read_text() == "mine"
    top = ROOT.parts[1]  # the code's top folder is bound in, wherever the checkout lives
    assert top in res["root"] and "home" not in res["root"] and "var" not in res["root"]


def test_a_healthy_model_runs_confined_and_the_report_says_so(env):
    up = mh.upload(env["tmp"] / "m.onnx", mh.healthy())
    report = run_model(
        up, env["track"], env["split"], env["tmp"] / "out", limits=ModelLimits(**FAST), work_root=env["work"],
        device="cpu",
    )  # fmt: skip
    assert report.ok, report.errors
    assert {"private_root", "uid 65534", "no_new_privs"} <= set(report.isolation)
    assert report.check_peak_memory_mb and report.check_peak_memory_mb < 512
    assert list(env["work"].iterdir()) == []


def test_nan_in_the_output_ends_the_run_naming_the_image(env):
    up = mh.upload(env["tmp"] / "nan.onnx", mh.nan_model())
    out = env["tmp"] / "out"
    report = run_model(
        up, env["track"], env["split"], out, limits=ModelLimits(**FAST), work_root=env["work"], device="cpu"
    )
    assert not report.ok and [e.code for e in report.errors] == [C.NON_FINITE], report.errors
    (e,) = report.errors
    assert e.file == "nan.onnx" and "prediction p0" in e.message and "256 NaN and 0 infinite values" in e.message
    assert not out.exists() and list(env["work"].iterdir()) == []

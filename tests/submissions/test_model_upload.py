"""Model uploads refused before anything runs: each hostile file fails with its own code, naming the file,
and leaves nothing on disk."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from submissions.model import ModelErrorCode as C
from submissions.model import ModelLimits, run_model
from submissions.model.errors import ModelRejected
from submissions.model.inspect import check_model
from submissions.model.manifest import ModelManifest, parse_manifest
from submissions.model.upload import load_model, open_upload
from tests.submissions import model_helpers as mh


@pytest.fixture
def env(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    return {"track": mh.tiny_track(), "split": mh.tiny_split(tmp_path / "split"), "work": work, "tmp": tmp_path}


def refused(env, up: Path, limits: ModelLimits | None = None):
    """run_model on a hostile upload: not ok, nothing written, the private folder gone; the errors."""
    out = env["tmp"] / "out"
    report = run_model(up, env["track"], env["split"], out, limits=limits, work_root=env["work"], device="cpu")
    assert not report.ok
    assert not out.exists(), "no prediction folder for a refused model"
    assert list(env["work"].iterdir()) == [], "the private folder is removed"
    assert report.errors and all(e.message.startswith(e.file) for e in report.errors)
    return report.errors


def codes(errors) -> set[str]:
    return {e.code for e in errors}


def test_a_healthy_model_passes_the_static_checks(tmp_path):
    up = mh.upload(tmp_path / "m.zip", mh.healthy(), mh.manifest(multiple=4, mode="whole"))
    bundle = open_upload(up, tmp_path / "b", ModelLimits())
    assert bundle.manifest.multiple == 4 and bundle.manifest.mode == "whole"
    info = check_model(
        load_model(bundle.model, bundle.label, ModelLimits()),
        bundle.folder,
        bundle.manifest,
        bundle.label,
        ModelLimits(),
    )
    assert info.params == 4 * 3 * 2 * 2 + 4 and info.params_constant == 0
    assert (info.input_name, info.output_name, info.opset) == ("rgb", "raw", 17)


def test_a_bare_onnx_file_gets_the_default_manifest(tmp_path):
    up = mh.upload(tmp_path / "m.onnx", mh.healthy())
    bundle = open_upload(up, tmp_path / "b", ModelLimits())
    assert bundle.manifest == ModelManifest() and bundle.label == "m.onnx"


def test_not_an_onnx_file(env):
    up = env["tmp"] / "model.onnx"
    up.write_bytes(b"GIF89a definitely not a model" * 10)
    (e,) = refused(env, up)
    assert e.code == C.NOT_ONNX and e.file == "model.onnx" and "not an ONNX model" in e.message
    up.write_bytes(b"\x08\x09" + os.urandom(64))  # starts like a model, then garbage
    assert codes(refused(env, up)) <= {C.NOT_ONNX, C.OVERSIZED_FIELD}
    up.write_bytes(b"")
    assert codes(refused(env, up)) == {C.NOT_ONNX}


def test_protobuf_bombs_deep_nesting_oversized_fields_and_size(env):
    up = env["tmp"] / "bomb.onnx"
    up.write_bytes(mh.deep_model_bytes(5000))
    (e,) = refused(env, up)
    assert e.code == C.NESTING_TOO_DEEP and "nested" in e.message
    up.write_bytes(mh.oversized_field_bytes())
    (e,) = refused(env, up)
    assert e.code == C.OVERSIZED_FIELD and str(2 << 30) in e.message
    up.write_bytes(mh.healthy().SerializeToString())
    (e,) = refused(env, up, ModelLimits(max_model_bytes=100))
    assert e.code == C.MODEL_TOO_LARGE
    # packed integers expand 8-fold when parsed: capped before parsing
    m = mh.healthy()
    m.graph.initializer.append(numpy_helper.from_array(np.ones(1000, np.int64), "ints"))
    m.graph.initializer[-1].ClearField("raw_data")
    m.graph.initializer[-1].int64_data.extend([1] * 1000)
    up.write_bytes(m.SerializeToString())
    (e,) = refused(env, up, ModelLimits(max_packed_int_bytes=500))
    assert e.code == C.OVERSIZED_FIELD and "packed integers" in e.message


def test_moderate_nesting_of_real_control_flow_is_accepted(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(mh.deep_model_bytes(5))
    assert load_model(path, "m.onnx", ModelLimits()).graph.node[0].op_type == "If"


@pytest.mark.parametrize("location", ["../../etc/passwd", "/etc/passwd", "sub/../../x.bin"])
def test_external_data_escaping_the_upload(env, location):
    up = mh.upload(env["tmp"] / "m.zip", mh.with_external(location), mh.manifest())
    (e,) = refused(env, up)
    assert e.code == C.EXTERNAL_DATA_ESCAPE and location in e.message and "initializer 'w'" in e.message


def test_external_data_missing_and_well_formed(env, tmp_path):
    data = np.zeros((4, 3, 2, 2), np.float32).tobytes()
    up = mh.upload(env["tmp"] / "m.zip", mh.with_external("w.bin"), mh.manifest())
    (e,) = refused(env, up)
    assert e.code == C.EXTERNAL_DATA_MISSING
    ok = mh.upload(env["tmp"] / "ok.zip", mh.with_external("w.bin"), mh.manifest(), {"w.bin": data})
    bundle = open_upload(ok, tmp_path / "b", ModelLimits())
    info = check_model(
        load_model(bundle.model, bundle.label, ModelLimits()),
        bundle.folder,
        bundle.manifest,
        bundle.label,
        ModelLimits(),
        bundle.model,
    )
    assert info.params == 52


def test_an_initializer_declaring_4_gib_with_a_few_bytes(env):
    m = mh.healthy()
    big = mh.lying_tensor("huge", [1024, 1024, 1024], b"\x00" * 16)
    m.graph.initializer.append(big)
    (e,) = refused(env, mh.upload(env["tmp"] / "m.onnx", m))
    assert e.code == C.INITIALIZER_SIZE_MISMATCH and "'huge'" in e.message and "4294967296 bytes" in e.message
    # the same lie told through external data
    up = mh.upload(
        env["tmp"] / "m.zip", mh.with_external("w.bin", (1024, 1024, 1024)), mh.manifest(), {"w.bin": b"\x00" * 16}
    )
    (e,) = refused(env, up)
    assert e.code == C.INITIALIZER_SIZE_MISMATCH and "external" in e.message


def test_custom_domain_operators_and_unknown_ones(env):
    nodes, inits = mh.conv_then([helper.make_node("Backdoor", ["conv"], ["raw"], domain="com.evil")])
    (e,) = refused(env, mh.upload(env["tmp"] / "m.onnx", mh.model(nodes, inits, domains=["com.evil"])))
    assert e.code == C.CUSTOM_OPERATOR and "'Backdoor'" in e.message and "com.evil" in e.message
    nodes, inits = mh.conv_then([helper.make_node("NotAnOp", ["conv"], ["raw"])])
    (e,) = refused(env, mh.upload(env["tmp"] / "m.onnx", mh.model(nodes, inits)))
    assert e.code == C.UNKNOWN_OPERATOR and "'NotAnOp'" in e.message


@pytest.mark.parametrize("opset", [9, 24])
def test_opsets_out_of_range(env, opset):
    conv, inits = mh.mosaic_weights_and_conv()
    (e,) = refused(env, mh.upload(env["tmp"] / "m.onnx", mh.model(conv, inits, opset=opset)))
    assert e.code == C.OPSET_OUT_OF_RANGE and f"opset {opset}" in e.message and "13 to 21" in e.message


def test_wrong_inputs_and_outputs(env):
    conv, inits = mh.mosaic_weights_and_conv()
    cases = {
        "rank 3": dict(x=helper.make_tensor_value_info("rgb", TensorProto.FLOAT, [3, "h", "w"])),
        "element type 2": dict(x=helper.make_tensor_value_info("rgb", TensorProto.UINT8, [1, 3, "h", "w"])),
        "fixed size 32x32": dict(x=helper.make_tensor_value_info("rgb", TensorProto.FLOAT, [1, 3, 32, 32])),
        "has 3 channels": dict(y=helper.make_tensor_value_info("raw", TensorProto.FLOAT, [1, 3, "h", "w"])),
        "batch size 8": dict(x=helper.make_tensor_value_info("rgb", TensorProto.FLOAT, [8, 3, "h", "w"])),
    }
    for text, kw in cases.items():
        (e,) = refused(env, mh.upload(env["tmp"] / "m.onnx", mh.model(conv, inits, **kw)))
        assert e.code in (C.WRONG_INPUT, C.WRONG_OUTPUT) and text in e.message, (text, e.message)
    (e,) = refused(env, mh.upload(env["tmp"] / "m.zip", mh.healthy(), mh.manifest().replace('"rgb"', '"image"')))
    assert e.code == C.WRONG_INPUT and "'image'" in e.message


def test_manifest_strict_missing_and_unknown_keys(env, tmp_path):
    up = mh.write_zip(env["tmp"] / "m.zip", {"model.onnx": mh.healthy().SerializeToString()})
    assert codes(refused(env, up)) == {C.MANIFEST_MISSING}
    for bad, text in (
        (mh.manifest(colour="1"), "colour"),
        (mh.manifest(multiple=3), "even"),
        (mh.manifest(mode="tiles"), "mode"),
        ('multiple = "16"\n', "multiple"),  # strict: no coercion from strings
        ("multiple = ", "TOML"),
    ):
        up = mh.upload(env["tmp"] / "m.zip", mh.healthy(), bad)
        (e,) = refused(env, up)
        assert e.code == C.MANIFEST_INVALID and e.file == "manifest.toml" and text in e.message, (bad, e.message)
    path = tmp_path / "manifest.toml"
    path.write_text(mh.manifest(multiple=16, mode="whole"))
    assert parse_manifest(path).model_dump()["input"]["name"] == "rgb"


def test_zip_safety_comes_from_intake(env):
    up = env["tmp"] / "m.zip"
    with zipfile.ZipFile(up, "w") as zf:
        zf.writestr("model.onnx", mh.healthy().SerializeToString())
        zf.writestr("manifest.toml", mh.manifest())
        zf.writestr("../evil.bin", b"x")
        link = zipfile.ZipInfo("link.bin")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    errors = refused(env, up)
    assert codes(errors) == {C.BAD_ARCHIVE}
    assert any("[unsafe_path]" in e.message for e in errors) and any("[symlink]" in e.message for e in errors)
    assert not (env["tmp"] / "evil.bin").exists()


def test_every_problem_is_listed_together(tmp_path):
    nodes, inits = mh.conv_then([helper.make_node("Backdoor", ["conv"], ["raw"], domain="x.y")])
    m = mh.model(nodes, inits, domains=["x.y"], opset=25)
    m.graph.initializer.append(mh.lying_tensor("huge", [1 << 20], b""))
    path = tmp_path / "m.onnx"
    path.write_bytes(m.SerializeToString())
    with pytest.raises(ModelRejected) as info:
        check_model(load_model(path, "m.onnx", ModelLimits()), tmp_path, ModelManifest(), "m.onnx", ModelLimits())
    assert codes(info.value.errors) == {C.CUSTOM_OPERATOR, C.OPSET_OUT_OF_RANGE, C.INITIALIZER_SIZE_MISMATCH}


def test_an_invalid_graph_is_refused_by_the_checker(env):
    conv = helper.make_node("Conv", ["rgb", "w", "b"], ["raw"], kernel_size=[2, 2], strides=[2, 2])  # no such attribute
    (e,) = refused(env, mh.upload(env["tmp"] / "m.onnx", mh.model([conv], mh.mosaic_weights())))
    assert e.code == C.INVALID_GRAPH and "kernel_size" in e.message

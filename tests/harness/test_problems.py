"""One problem record for every check: predictions, challenge bundles and model uploads report the same
``{file, code, message}`` with their own stable codes."""

from __future__ import annotations

import pickle

import pytest

from harness.bundles.problems import Code, from_npy
from harness.npyio import ErrorCode, NpyError, read_raw
from harness.problems import Problem, problem
from submissions.model.errors import ModelErrorCode, ModelRejected
from submissions.model.limits import ModelLimits
from submissions.model.upload import load_model


def test_a_pickled_prediction_is_a_problem_with_its_npyio_code(tmp_path):
    f = tmp_path / "img_0.npy"
    f.write_bytes(pickle.dumps({"not": "an array"}))
    with pytest.raises(NpyError) as err:
        read_raw(f)
    (p,) = err.value.errors
    assert type(p) is Problem
    assert p.model_dump(mode="json") == {"file": str(f), "code": ErrorCode.PICKLED, "message": p.message}
    assert p.code == "pickled" and p.message.startswith("img_0.npy: ")


def test_a_bundle_problem_from_a_prediction_problem_keeps_the_code_and_renames_the_file(tmp_path):
    f = tmp_path / "gt.npy"
    f.write_bytes(b"garbage that is no npy file")
    with pytest.raises(NpyError) as err:
        read_raw(f)
    p = from_npy(err.value.errors[0], "bundle/s7/test1/gt/gt.npy")
    assert type(p) is Problem
    assert p.file == "bundle/s7/test1/gt/gt.npy"
    assert p.code == err.value.errors[0].code == "not_npy"
    assert p.message.startswith("bundle/s7/test1/gt/gt.npy: ")
    assert problem("challenge.toml", Code.BAD_TOML, "not TOML").model_dump() == {
        "file": "challenge.toml",
        "code": "bad_toml",
        "message": "challenge.toml: not TOML",
    }


def test_an_empty_model_file_is_a_problem_with_its_model_code(tmp_path):
    f = tmp_path / "model.onnx"
    f.write_bytes(b"")
    with pytest.raises(ModelRejected) as err:
        load_model(f, "model.onnx", ModelLimits())
    (p,) = err.value.errors
    assert type(p) is Problem
    assert p.model_dump(mode="json") == {
        "file": "model.onnx",
        "code": ModelErrorCode.NOT_ONNX.value,
        "message": "model.onnx: not an ONNX model: the file is empty",
    }

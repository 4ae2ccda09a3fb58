"""The model contract, the one way baselines (torch) and model submissions (NumPy / ONNX Runtime) feed a
network and read it: padding, tiling, input scaling, quantisation, and the manifest's schema."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines.infer import torch_ops
from harness import model_contract as contract
from harness.model_manifest import InputSpec, ModelManifest, OutputSpec


def mosaic_of_blur(x):
    """A local network in NumPy: 3x3 box blur (edge-padded) then each 2x2 cell's R, Gr, Gb, B."""
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    h, w = x.shape[-2:]
    b = sum(p[..., i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9
    return np.stack((b[:, 0, 0::2, 0::2], b[:, 1, 0::2, 1::2], b[:, 1, 1::2, 0::2], b[:, 2, 1::2, 1::2]), axis=1)


def test_the_input_is_the_8_bit_value_over_255_in_nchw():
    rgb = np.arange(2 * 4 * 3, dtype=np.uint8).reshape(2, 4, 3) * 10
    x = contract.input_array(rgb)
    assert x.dtype == np.float32 and x.shape == (1, 3, 2, 4)
    assert x[0, 2, 1, 3] == np.float32(rgb[1, 3, 2]) / np.float32(255)
    with pytest.raises(contract.ContractError, match="3x4: height and width must be even"):
        contract.input_array(np.zeros((3, 4, 3), np.uint8))
    with pytest.raises(contract.ContractError, match="expected uint8 H x W x 3, got float32"):
        contract.input_array(np.zeros((2, 4, 3), np.float32))


def test_padding_repeats_the_bottom_and_right_edges_and_the_output_is_cropped():
    seen = []

    def model(x):
        seen.append(x.copy())
        return x[:, :, 0::2, 0::2].repeat(2, axis=1)[:, :4]

    x = np.random.default_rng(0).random((1, 3, 6, 10), dtype=np.float32)
    y = contract.padded(model, x, 8, contract.numpy_ops())
    padded = seen[0]
    assert padded.shape == (1, 3, 8, 16)
    assert np.array_equal(padded[..., :6, :10], x)  # the origin (and so the Bayer phase) is kept
    assert np.array_equal(padded[..., 6:, :10], np.repeat(x[..., 5:6, :], 2, axis=2))
    assert np.array_equal(padded[..., :6, 10:], np.repeat(x[..., :, 9:10], 6, axis=3))
    assert y.shape == (1, 4, 3, 5)


def test_a_wrong_output_shape_names_what_came_and_what_was_expected():
    with pytest.raises(contract.ContractError, match=r"input of 4x4 the model returned \(1, 3, 2, 2\); expected"):
        contract.padded(lambda x: x[:, :, ::2, ::2], np.zeros((1, 3, 4, 4), np.float32), 2, contract.numpy_ops())


def test_tiles_with_enough_context_give_the_one_pass_result_and_the_sizes_run_shapes_names():
    x = np.random.default_rng(1).random((1, 3, 100, 140), dtype=np.float32)
    seen = []

    def model(t):
        seen.append(tuple(t.shape[-2:]))
        return mosaic_of_blur(t)

    whole = contract.padded(mosaic_of_blur, x, 4, contract.numpy_ops())
    tiled = contract.tiled(model, x, 4, contract.numpy_ops(), tile=32, margin=4)
    assert tiled.shape == whole.shape == (1, 4, 50, 70)
    assert np.allclose(tiled, whole, atol=1e-6)
    assert len(seen) == len(contract.tile_windows(100, 140, tile=32, margin=4)) == 4 * 5
    assert seen == contract.run_shapes(100, 140, 4, tile=32, margin=4)
    assert contract.run_shapes(100, 140, 4, tile=32, margin=4, whole=True) == [(100, 140)]
    assert contract.run_shapes(30, 38, 4, tile=32, margin=4) == [(32, 40)]  # fits one tile: one pass


def test_torch_and_numpy_runners_follow_the_same_contract():
    """The same network through torch tensors (baselines) and NumPy arrays (submissions): equal outputs."""
    x = np.random.default_rng(2).random((1, 3, 70, 90), dtype=np.float32)
    by_numpy = contract.tiled(mosaic_of_blur, x, 8, contract.numpy_ops(), tile=32, margin=6)

    def on_tensors(t):
        return torch.from_numpy(mosaic_of_blur(t.numpy()))

    by_torch = contract.tiled(on_tensors, torch.from_numpy(x), 8, torch_ops(), tile=32, margin=6)
    assert isinstance(by_torch, torch.Tensor)
    assert np.array_equal(by_torch.numpy(), by_numpy)
    assert np.array_equal(contract.quantise(by_torch.numpy()), contract.quantise(by_numpy))


def test_quantisation_is_x1024_truncated_and_clipped():
    y = np.array([0.0, 0.5, 0.99999, 1.0, 1.7, -0.2, 0.00195], np.float32).reshape(1, 1, 1, 7).repeat(4, axis=1)
    q = contract.quantise(y)
    assert q.dtype == np.uint16 and q.shape == (1, 7, 4)
    assert q[0, :, 0].tolist() == [0, 512, 1023, 1024, 1024, 0, 1]
    with pytest.raises(contract.ContractError, match=r"expected 1 x 4 x h x w, got \(1, 3, 2, 2\)"):
        contract.quantise(np.zeros((1, 3, 2, 2), np.float32))


def test_the_manifest_is_written_and_read_by_one_schema():
    m = ModelManifest(multiple=16, mode="whole", title="t", input=InputSpec(name="rgb"), output=OutputSpec(name="raw"))
    text = m.to_toml()
    assert "multiple = 16" in text and 'name = "rgb"' in text
    assert ModelManifest.from_toml(text) == m
    assert ModelManifest.from_toml(ModelManifest().to_toml()) == ModelManifest()

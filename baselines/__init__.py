"""Baselines: reference methods, one module each under ``methods/``, found by name in the registry.

``registry`` (method cards, lookup), ``blocks`` (shared layers), ``data`` (training pairs and
Bayer-phase-preserving augmentation), ``weights`` (safetensors only; ``weights/``: the shipped
demo weights), ``train`` (a card's recipe, recorded beside the weights), ``provenance`` (where
loaded weights came from), ``infer`` (the model contract of ``harness.model_contract`` on torch
tensors: patches or full-resolution images), ``tta`` (Bayer-safe test-time
augmentation), ``protocol`` (params, MACs, runtime: the same measurement for every method),
``workflow`` (train, load, predict and measure a method), ``onnx_export`` (a method as an ONNX
model upload), ``reported`` + ``tables/`` (a past report's team table) and ``cli``. No database:
the service records the results.
"""

"""Baselines: reference methods, one module each under ``methods/``, found by name in the registry.

``registry`` (method cards, lookup), ``blocks`` (shared layers), ``data`` (training pairs and
Bayer-phase-preserving augmentation), ``weights`` (safetensors only), ``train``, ``infer``
(patches or full-resolution images, padding, quantisation), ``tta`` (Bayer-safe test-time
augmentation), ``protocol`` (params, MACs, runtime: the same measurement for every method),
``workflow`` (train, load, predict and measure a method), ``onnx_export`` (a method as an ONNX
model upload), ``reported`` + ``tables/`` (a past report's team table) and ``cli``. No database:
the service records the results.
"""

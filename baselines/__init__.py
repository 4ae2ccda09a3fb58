"""Baselines: reference methods, one module each under ``methods/``, found by name in the registry.

``registry`` (method cards, lookup), ``blocks`` (shared layers), ``data`` (training pairs and
Bayer-phase-preserving augmentation), ``weights`` (safetensors only), ``train``, ``infer``
(patches or full-resolution images, padding, quantisation) and ``protocol`` (params, MACs,
runtime: the same measurement for every method).
"""

"""Alignment-aware diagnostics: how far a prediction's content sits from the ground truth's grid.

``estimate`` finds a transform between two single planes (phase correlation, then ECC and a
float64 polish), ``planes`` makes those planes from inputs and packed RAW, ``warp`` resamples a
prediction onto the ground truth's grid and finds the common crop, ``manifest`` makes and stores a
split's reference transforms. The aligned figures are diagnostics: nothing ranks by them.
OpenCV is imported only when a transform is estimated.
"""

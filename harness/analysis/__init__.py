"""Analysis on per-image scores: bootstrap significance, region metrics, comparisons and plots."""

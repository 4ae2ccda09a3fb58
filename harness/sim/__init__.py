"""Simulated cameras and the demo challenge built with them (not needed by real challenges)."""

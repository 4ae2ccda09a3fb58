"""Metrics of the challenge: the fast engine and the plain reference it is tested against."""

from harness.metrics.engine import PairScore, ScoringEngine, score_pair
from harness.metrics.profiles import AIM22, PROFILES, SRGB, MetricProfile, get_profile

__all__ = ["AIM22", "PROFILES", "SRGB", "MetricProfile", "PairScore", "ScoringEngine", "get_profile", "score_pair"]

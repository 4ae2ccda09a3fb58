"""What the service does, without HTTP: one module per concern, each a small class.

teams (registration, tokens), splits (switches, visibility, ground-truth manifests),
submissions (quotas, storing uploads, re-scoring, what a caller may read), scoring (the job
that validates and scores an upload), ranking (leaderboards and track tables), reference (a
past edition's reported table), baseline_runs (the harness's own methods as leaderboard rows).
They are built together in ``leaderboard.context``.
"""

"""What the service does, without HTTP: one module per concern, each a small class.

challenge (the served challenge), teams (registration, tokens), splits (switches, visibility,
ground-truth manifests), submissions (quotas, storing uploads, re-scoring, what a caller may
read), predictions (where a submission's predictions lie), problems (what a submission keeps of
its errors), scoring (the job that validates and scores an upload), ranking (leaderboards and
track tables), reference (a past edition's reported table), baseline_runs and model_runs (runs
measured by the harness, as leaderboard rows), job_handlers (what each job kind does),
downloads, sample and data_models (participants' archives and their listing) over zip_cache
(zips built once, atomically).
They are built together in ``leaderboard.context``.
"""

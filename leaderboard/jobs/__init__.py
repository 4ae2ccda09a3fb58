"""Jobs: the job table (truth), their kinds, the Celery app that carries them, workers."""

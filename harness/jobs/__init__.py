"""Jobs: the Celery application, its tasks, the worker command."""

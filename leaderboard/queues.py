"""The broker queues' names: plain constants, so command-line start-up loads no Celery or database."""

CPU_QUEUE = "cpu"  # scoring
GPU_QUEUE = "gpu"  # baseline and model runs (the CPU where no GPU runner is there)
QUEUES = (CPU_QUEUE, GPU_QUEUE)


def known_queues(names: list[str]) -> list[str]:
    """``names`` as given, or ``ValueError`` naming those that are not queues."""
    unknown = sorted(set(names) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(QUEUES)}")
    return names

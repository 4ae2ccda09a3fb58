"""The broker queues' names: plain constants, so command-line start-up loads no Celery or database."""

CPU_QUEUE = "cpu"  # scoring
GPU_QUEUE = "gpu"  # baseline and model runs (the CPU where no GPU runner is there)
QUEUES = (CPU_QUEUE, GPU_QUEUE)

# One image for the web service and the workers (the command picks the role).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# torch first and pinned (a bare torch pulls the CUDA build); GPU workers use the CUDA wheel index
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install "torch==2.13.0" --index-url "$TORCH_INDEX"
COPY pyproject.toml README.md ./
COPY harness harness
COPY harness_client harness_client
COPY submissions submissions
COPY baselines baselines
COPY leaderboard leaderboard
RUN pip install .
# LPIPS's linear-layer file only (harness.metrics.lpips): --no-deps, its torchvision is never used
RUN pip install --no-deps "lpips==0.1.4"
RUN useradd --create-home harness && mkdir -p /data && chown harness /data
USER harness
ENV HARNESS_DATA_DIR=/data
EXPOSE 8000
CMD ["harness", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]

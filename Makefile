# Set-up is part of every target: a fresh machine needs nothing but python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a bare or open-ranged torch would pull a multi-GB CUDA build
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

PORT ?= 8000
DEMO_BASELINES ?= upi upi-calibrated zeronoise mialgo mbispld rstisp unet hitiil sensebrains cvip cycleisp
DEMO_TRAIN_MINUTES ?= 1

demo: $(STAMP)
	@set -e; dir=$${DEMO_DIR:-$$(mktemp -d -t harness-demo-XXXXXX)}; export HARNESS_DATA_DIR="$$dir"; \
	export HARNESS_ORGANIZER_TOKEN=$${HARNESS_ORGANIZER_TOKEN:-$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(16))")}; \
	echo "== building the demo challenge (tracks s7, p20) under $$dir"; \
	$(BIN)/harness data demo; \
	for t in s7 p20; do \
	  $(BIN)/harness data predict-naive "$$dir/challenges/demo" --track $$t --split test1 --out "$$dir/preds/$$t-test1-naive"; \
	done; \
	echo "== scoring the trivial predictor (inverse gamma + mosaic) on s7/test1 offline"; \
	$(BIN)/harness score "$$dir/preds/s7-test1-naive" "$$dir/challenges/demo/s7/test1/gt" --images; \
	echo "== starting the leaderboard service on http://127.0.0.1:$(PORT)"; \
	$(BIN)/harness serve --port $(PORT) & pid=$$!; trap "kill $$pid 2>/dev/null" EXIT INT TERM; \
	for i in $$(seq 100); do $(BIN)/python -c "import httpx,sys; httpx.get('http://127.0.0.1:$(PORT)/api/health')" 2>/dev/null && break; sleep 0.3; done; \
	token=$$($(BIN)/harness team create naive-baseline --server http://127.0.0.1:$(PORT) --quiet); \
	for t in s7 p20; do \
	  $(BIN)/harness submit "$$dir/preds/$$t-test1-naive" --server http://127.0.0.1:$(PORT) --token "$$token" --track $$t --split test1 --device cpu --params-m 0 --description "inverse gamma + mosaic"; \
	done; \
	echo "== queueing the baselines ($(DEMO_BASELINES)): each trains $(DEMO_TRAIN_MINUTES) min per track on the"; \
	echo "   embedded gpu-queue worker (CPU here), then runs on test1; rows appear on the leaderboard as jobs end"; \
	for t in s7 p20; do for m in $(DEMO_BASELINES); do \
	  $(BIN)/harness baselines enqueue $$m --track $$t --split test1 --train-minutes $(DEMO_TRAIN_MINUTES) --server http://127.0.0.1:$(PORT); \
	done; done; \
	echo "== leaderboard: http://127.0.0.1:$(PORT)/leaderboard/s7  organiser page: /organiser (token $$HARNESS_ORGANIZER_TOKEN)"; \
	echo "   API docs: /docs; Ctrl-C stops"; \
	wait $$pid

test: $(STAMP)
	$(BIN)/ruff check harness submissions baselines leaderboard tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_metric.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

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

demo: $(STAMP)
	@set -e; dir=$${DEMO_DIR:-$$(mktemp -d -t harness-demo-XXXXXX)}; \
	echo "== building the demo challenge (tracks s7, p20) under $$dir"; \
	$(BIN)/harness data demo --out "$$dir"; \
	echo "== the trivial predictor (inverse gamma + mosaic) on s7/test1"; \
	$(BIN)/harness data predict-naive "$$dir/challenges/demo" --track s7 --split test1 --out "$$dir/preds/s7-test1-naive"; \
	$(BIN)/harness score "$$dir/preds/s7-test1-naive" "$$dir/challenges/demo/s7/test1/gt" --images; \
	echo "== and on p20/test2 (48 patches of a full-resolution image)"; \
	$(BIN)/harness data predict-naive "$$dir/challenges/demo" --track p20 --split test2 --out "$$dir/preds/p20-test2-naive"; \
	$(BIN)/harness score "$$dir/preds/p20-test2-naive" "$$dir/challenges/demo/p20/test2/gt"

test: $(STAMP)
	$(BIN)/ruff check harness submissions baselines leaderboard tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_metric.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

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
	echo "== demo data (synthetic ground truth, three prediction sets) in $$dir"; \
	$(BIN)/harness data synth --out "$$dir" --n 12 --size 128; \
	echo "== scoring the 'noisy' prediction set"; \
	$(BIN)/harness score "$$dir/preds/noisy" "$$dir/gt" --images; \
	echo "== scoring the 'blurred' prediction set"; \
	$(BIN)/harness score "$$dir/preds/blurred" "$$dir/gt"

test: $(STAMP)
	$(BIN)/ruff check harness submissions baselines leaderboard tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_metric.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

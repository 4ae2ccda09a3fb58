# Set-up is part of every target: a fresh machine needs nothing but python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
LPIPS := lpips==0.1.4

.PHONY: demo demo-clean test coverage bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a bare or open-ranged torch would pull a multi-GB CUDA build
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[test]'
	# LPIPS's linear layers (harness.metrics.lpips reads its weight file, never imports it): --no-deps,
	# as its torchvision cannot be imported beside the CPU torch; kept out of pyproject, or pip would pull it
	$(BIN)/python -m pip install -q --no-deps $(LPIPS)
	touch $(STAMP)

PORT ?= 8000
DEMO_DIR ?= var/demo
DEMO_BASELINES ?= upi mbispld unet zeronoise upi-calibrated mialgo rstisp hitiil sensebrains cvip cycleisp
DEMO_FORWARD_BASELINES ?= classical fwdnet
DEMO_TRAIN_MINUTES ?= 1

# The demo challenge, served with the trivial predictor scored and the baselines queued. DEMO_DIR is
# reused from one run to the next (challenge, database, weights, tokens); `make demo-clean` starts over.
# The server logs problems only, to DEMO_DIR/serve.log; the URLs and the organiser token come last
# (a fresh token of 43 characters, made again when a kept one is shorter than the 32 the service requires).
demo: $(STAMP)
	@set -e; dir="$(abspath $(DEMO_DIR))"; mkdir -p "$$dir"; export HARNESS_DATA_DIR="$$dir"; t0=$$(date +%s); \
	url=http://127.0.0.1:$(PORT); export HARNESS_SERVER=$$url; \
	if [ -z "$$HARNESS_ORGANISER_TOKEN" ]; then \
	  [ "$$(cat "$$dir/organiser.token" 2>/dev/null | wc -c)" -gt 32 ] || (umask 077; $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(32))" > "$$dir/organiser.token"); \
	  HARNESS_ORGANISER_TOKEN=$$(cat "$$dir/organiser.token"); fi; export HARNESS_ORGANISER_TOKEN; \
	if [ -f "$$dir/challenges/demo/challenge.toml" ]; then echo "== reusing the demo challenge in $$dir (make demo-clean starts afresh)"; \
	else echo "== building the demo challenge (tracks s7, p20 and the forward track fwd) in $$dir"; $(BIN)/harness data demo; fi; \
	for t in s7 p20 fwd; do [ -d "$$dir/preds/$$t-test1-naive" ] || \
	  $(BIN)/harness data predict-naive "$$dir/challenges/demo" --track $$t --split test1 --out "$$dir/preds/$$t-test1-naive" > /dev/null; \
	done; \
	echo "== scoring the trivial predictor (inverse gamma + mosaic) on s7/test1 offline"; \
	$(BIN)/harness score "$$dir/preds/s7-test1-naive" "$$dir/challenges/demo/s7/test1/gt"; \
	echo "== starting the service on $$url (log: $$dir/serve.log)"; \
	$(BIN)/harness serve --port $(PORT) --log-level warning >> "$$dir/serve.log" 2>&1 & pid=$$!; trap "kill $$pid 2>/dev/null" EXIT INT TERM; \
	for i in $$(seq 200); do $(BIN)/python -c "import httpx; httpx.get('$$url/api/health')" 2>/dev/null && break; \
	  kill -0 $$pid 2>/dev/null || { tail -n 30 "$$dir/serve.log"; exit 1; }; sleep 0.3; done; \
	if [ -s "$$dir/naive-team.token" ]; then token=$$(cat "$$dir/naive-team.token"); \
	else token=$$($(BIN)/harness team create naive-baseline --quiet); (umask 077; echo "$$token" > "$$dir/naive-team.token"); fi; \
	for t in s7 p20; do \
	  $(BIN)/harness submit "$$dir/preds/$$t-test1-naive" --token "$$token" --track $$t --split test1 --device cpu --params-m 0 --description "inverse gamma + mosaic"; \
	done; \
	$(BIN)/harness submit "$$dir/preds/fwd-test1-naive" --token "$$token" --track fwd --split test1 --device cpu --params-m 0 --description "classical pipeline (harness/sim/classical.py)"; \
	echo "== queueing the baselines (the forward track's two first: seconds), then s7 and p20 in turn, on the embedded gpu-queue worker (the CPU here); rows appear as jobs end:"; \
	echo "   methods with shipped demo weights (baselines/weights) run on test1 at once; the others first train"; \
	echo "   $(DEMO_TRAIN_MINUTES) min per track (once: weights are kept), short of their recipes, so their rows show as untrained"; \
	n=0; for m in $(DEMO_FORWARD_BASELINES); do $(BIN)/harness baselines enqueue $$m --track fwd --split test1 --train-minutes $(DEMO_TRAIN_MINUTES) > /dev/null && n=$$((n + 1)); done; \
	for m in $(DEMO_BASELINES); do for t in s7 p20; do \
	  $(BIN)/harness baselines enqueue $$m --track $$t --split test1 --train-minutes $(DEMO_TRAIN_MINUTES) > /dev/null && n=$$((n + 1)); \
	done; done; \
	echo "   $$n jobs queued: follow them on the organiser page"; \
	$(BIN)/python -c 'import sys; u, tok, s = sys.argv[1:]; rows = [("Leaderboard", u + "/leaderboard/s7"), ("Organiser page", u + "/organiser"), ("Organiser token", tok), ("API docs", u + "/docs"), ("Data dir", s)]; w = max(len(k) + len(v) for k, v in rows) + 5; line = "+" + "-" * w + "+"; print("", line, *(f"| {k}: {v.ljust(w - len(k) - 4)} |" for k, v in rows), line, sep="\n")' "$$url" "$$HARNESS_ORGANISER_TOKEN" "$$dir"; \
	echo "ready in $$(( $$(date +%s) - t0 )) s; Ctrl-C stops the service"; \
	wait $$pid

demo-clean:
	rm -rf "$(abspath $(DEMO_DIR))"

test: $(STAMP)
	$(BIN)/ruff check harness harness_client submissions baselines leaderboard tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q --durations=30

coverage: $(STAMP)
	$(BIN)/python -m pytest -q --cov --cov-report=term:skip-covered

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_metric.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# benchhub: `make demo` runs the offline tour, `make test` runs the test suite.
# Both create .venv on first use and install what they need.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.benchhub-installed
# The CPU build of torch that installs quickly here; GPU users: see README ("GPU").
TORCH_SPEC ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
# benchmarks/qa_throughput.py's peer, transformers.pipeline("question-answering"), exists only in
# transformers 4.x, so it runs in a second virtualenv (see benchmarks/README.md).
PEER_VENV ?= benchmarks/.peer-venv
PEER_SPEC ?= torch==2.13.0 transformers==4.57.6
PEER_STAMP := $(PEER_VENV)/.peer-installed

.PHONY: install demo test chromium bubblewrap bench peer-venv bench-qa clean

install: $(STAMP) bubblewrap

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,ray]"
	touch $(STAMP)

demo: $(STAMP) bubblewrap
	$(VENV)/bin/benchhub demo

# The store tests run on SQLite and on PostgreSQL: at $$BENCHHUB_TEST_POSTGRES_URL when set, else on a
# throwaway PostgreSQL 15 server that scripts/postgres.sh starts for the run and removes after it.
# TEST_WORKERS pytest-xdist processes share the files (each file's tests stay in one process, with its fixtures).
TEST_WORKERS ?= 2
test: $(STAMP) chromium bubblewrap
	bash scripts/postgres.sh run $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=40

# The browser tests use Debian's chromium (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

# Code execution (benchhub.execution) runs every program in a bubblewrap sandbox and refuses without one.
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "Code execution needs bubblewrap, which is not installed: sudo apt-get install bubblewrap (until then benchhub refuses to execute programs)" >&2; fi; }

bench: $(STAMP)
	$(PY) benchmarks/eval_throughput.py
	$(PY) benchmarks/optimize_speedup.py
	$(PY) benchmarks/matrix_scaling.py
	$(PY) benchmarks/ner_throughput.py

peer-venv: $(PEER_STAMP)

$(PEER_STAMP):
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet $(PEER_SPEC)
	touch $(PEER_STAMP)

# The QA sample's checkpoint comes from the hub at $BENCHHUB_HOME (the demo's QA tour runs there if it has none).
bench-qa: $(STAMP) $(PEER_STAMP)
	$(PY) benchmarks/qa_throughput.py --peer-python $(PEER_VENV)/bin/python

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache

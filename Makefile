# Tasks for k8stip. Each recipe is the one line .ci/run also runs, so local and CI checks
# can't drift apart. `make` alone runs the tests and the linters.
# Set up first with the README's test command (it creates .venv).

VENV ?= .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := default
.PHONY: default test lint types corpus deploy ci bench image-size

default: test lint

# The whole suite; PostgreSQL on 127.0.0.1:5432 (database `test`) for the store tests.
test:
	$(BIN)/python -m pytest

# ruff lint and ruff format (check only; `$(BIN)/ruff format bot tests bench` fixes).
lint:
	$(BIN)/ruff check bot tests bench && $(BIN)/ruff format --check bot tests bench

# mypy in strict mode over bot/ (the files are set in pyproject.toml).
types:
	$(BIN)/mypy

# The bundled tip corpus validates.
corpus:
	$(BIN)/k8stip validate

# Dockerfile, compose and Kubernetes manifests: the real linters where installed.
deploy:
	bash .ci/validate-deploy

# What CI runs on a clean clone: reinstalls .venv with the README's test command, runs the
# tests, then `make lint types corpus deploy`.
ci:
	bash .ci/run

# Quick benchmarks (about a minute; not part of ci): relevance on the judged queries, search
# and tip latency on a 5,000-tip generated corpus, a 500-subscription fan-out on SQLite.
# The full-size runs are in the README's Development section.
bench:
	$(BIN)/python -m bench.relevance && $(BIN)/python -m bench.speed --tips 5000 --rounds 5 && PYTHONPATH=. $(BIN)/python bench/bench_fanout.py --subs 500 --workspaces 10 --db sqlite --failures 0

# The container image's installed size without a Docker engine: replays the Dockerfile's builder
# stage in a temporary folder, checks the result runs, sums what the runtime stage copies plus
# the base image (docs/operations.md, "The container image"). A few minutes; not part of ci.
image-size:
	$(BIN)/python -m bench.image_size --check

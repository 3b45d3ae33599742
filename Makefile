# `make demo` and `make test` work on a fresh machine with only Python 3 and git:
# each builds its own virtualenv in .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: venv test test-fast test-git lint dogfood demo bench clean man

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-dev.txt bin/guardrails-hook
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[fast]' -r requirements-dev.txt
	@# an editable install leaves out the package's data files: the man pages, by hand
	$(BIN)/python -m guardrails.manpage $(VENV)/share/man/man1 >/dev/null
	touch $@

lint: venv
	$(BIN)/ruff check guardrails hooks tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

# The suite under a newer git (built once from Debian's source package into .cache/, see
# .ci/build-git), with files refs and with reftable refs: CI's second and third legs.
test-git: venv
	.ci/run git-files git-reftable

# the tests that start no pre-commit or prek (the `runner` marker): a quick loop while editing
test-fast: lint
	$(BIN)/pytest -n auto -m "not runner" $(PYTEST_ARGS)

# this repository's own .pre-commit-config.yaml (ruff, mypy and our hooks) on every file
dogfood: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pre-commit run --all-files --show-diff-on-failure

demo: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

# regenerate the committed manual pages from the click commands (tests/test_manpage.py)
man: venv
	$(BIN)/python -m guardrails.manpage man/man1

bench: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache

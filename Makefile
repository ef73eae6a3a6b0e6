# The two commands a new machine needs: `make demo` and `make test`.
# Both create .venv (Python 3.13, from PATH or pyenv) and install the project first.

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTHON  := $(BIN)/python

.PHONY: venv test lint typecheck docs pytest other-pythons demo bench corpus clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@py=$$(scripts/find-python 3.13) || exit 1; \
	if [ ! -x $(PYTHON) ]; then echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV) || exit 1; fi
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@# The embedded database's first start compiles code it keeps for the next ones: do it now.
	$(PYTHON) -m asyncmigrate.embedded_mongo --prepare
	@touch $(STAMP)

test: venv lint typecheck docs pytest other-pythons

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy bridges asyncmigrate

docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir .site

pytest: venv
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The bridges test-suite on every other CPython >= 3.11 this machine has, and legacy/ on its
# own 2018 stack (Python 3.7) where the machine has 3.7 (see noxfile.py).
other-pythons: venv
	$(BIN)/nox --no-color --no-error-on-missing-interpreters -s bridges legacy2018

demo: venv
	$(BIN)/asyncmigrate demo

bench: venv
	$(PYTHON) -m bench

corpus: venv
	scripts/corpus

clean:
	rm -rf $(VENV) .site .nox .corpus .bench build *.egg-info

# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run team test lint i18n bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# xstatic-bootstrap 5 ships only as an sdist whose setup.py needs pkg_resources,
# so setuptools<81 goes in first and the xstatic packages build without isolation.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade "pip>=23" "setuptools>=64,<81" wheel
	$(BIN)/pip install -q --no-build-isolation "xstatic-bootstrap>=5.3,<6" "xstatic-font-awesome>=6.2,<7"
	$(BIN)/pip install -q --no-build-isolation -e ".[test,lint,team]"
	touch $(STAMP)

# make run ARGS="--port 8060 --workspace DIR": any option of `cxwb serve`.
run: $(STAMP)
	$(BIN)/python app.py $(ARGS)

# The team stack on this machine for a trial: Redis, gunicorn with two web workers, a Celery worker with the alert
# run's scheduler (README: "A team server"). make team ARGS="--workspace DIR --port 8060".
team: $(STAMP)
	$(BIN)/python -m cxweb.stack $(ARGS)

# Two workers, a test file each (its module's app server is started once): the suite mostly waits on browsers
# and child processes, so two workers on two cores take 0.6 of the time of one.
test: lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The package's code: ruff's lint and format check, mypy's type check (the test suite holds the import-layer test).
lint: $(STAMP)
	$(BIN)/ruff check workbench cxweb app.py
	$(BIN)/ruff format --check workbench cxweb app.py
	$(BIN)/mypy workbench

# The Czech and Polish catalogues: extract the messages, merge them into each language's .po (new ones arrive
# untranslated, and the suite fails until a translator fills them in), compile the .mo files the app reads.
LOCALES := workbench/core/locale
i18n: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output -o $(LOCALES)/cxwb.pot .
	$(BIN)/pybabel -q update -i $(LOCALES)/cxwb.pot -d $(LOCALES) -D cxwb --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d $(LOCALES) -D cxwb --statistics

# DuckDB is the heatmap benchmark's reference engine only, so it is installed here and not for run/test.
# The scale benchmark builds its workspaces once (1.5 M answers: 10 s; 20 M: 3 min and 11 GB of memory).
SCALE_SIZES ?= 1.5M
bench: $(STAMP)
	$(BIN)/pip install -q --no-build-isolation -e ".[test,lint,bench]"
	$(BIN)/python bench/bench_journey.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/heatmap.py
	$(BIN)/python bench/heatmap_callbacks.py
	$(BIN)/python bench/actions.py
	$(BIN)/python bench/drivers.py
	$(BIN)/python bench/why_callbacks.py
	$(BIN)/python bench/roi.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/bombs.py
	$(BIN)/python bench/languages.py
	$(BIN)/python bench/scale.py --sizes $(SCALE_SIZES)
	$(BIN)/python bench/team_load.py

clean:
	rm -rf $(VENV) .pytest_cache

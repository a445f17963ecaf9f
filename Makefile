# Dexem: `make run` serves the demo, `make test` runs the suite (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
SHELL := /bin/bash
APPS := accounts calls privacy retention attribution telephony reports dexem

.PHONY: run test bench lint install migrate worker beat clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing dependencies into $(VENV): the first time takes a few minutes."
	@echo "A line per package follows (full log: $(VENV)/install.log)."
	@# The first install takes minutes: show each package as pip reaches it, keep pip's whole
	@# output in the log, and print that log (less its noise) when the install fails.
	@set -o pipefail; $(BIN)/python -m pip install --progress-bar off -e '.[dev]' 2>&1 \
		| tee $(VENV)/install.log \
		| { grep --line-buffered -E '^(Collecting|Building|Installing|Successfully)' || true; } \
		|| { grep -v '^WARNING: Location' $(VENV)/install.log; exit 1; }
	$(BIN)/python -c "import django, rest_framework, celery, axes, pytest"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:$(PORT)/ — log in with one of the demo logins above."
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(APPS)

# The French catalogue (SPEC §14): gather every translatable string into locale/fr, keep the
# translations already there, compile the .mo that is committed beside it. Needs GNU gettext.
MESSAGES_IGNORE := --ignore=tests/* --ignore=bench/* --ignore=var/* --ignore=deploy/*
messages: install
	$(BIN)/python manage.py makemessages --locale fr --no-obsolete --add-location file $(MESSAGES_IGNORE)
	@# The creation date changes on every run: dropped, so two branches' catalogues merge cleanly.
	sed -i '/^"POT-Creation-Date:/d' locale/fr/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages --locale fr --ignore=.venv

worker: install
	$(BIN)/celery -A dexem worker --loglevel=INFO

beat: install
	$(BIN)/celery -A dexem beat --loglevel=INFO

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache

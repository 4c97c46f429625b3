# 学时核认 — `make run` serves the demo, `make test` runs the whole suite. Both start from a bare Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

# Debian packages: Pango/HarfBuzz for WeasyPrint, a CJK font for Chinese PDFs and pages,
# poppler-utils (pdftotext) for PDF tests, Chromium for browser tests.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei poppler-utils chromium

.PHONY: run test mutate mutate-changed bench bench-db load install sysdeps venv migrate demo backup restore clean-venv

run: install migrate demo
	@echo "学时核认 演示站点: http://$(HOST):$(PORT)/  (演示账号见 README.md)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# The suite runs in PYTEST_WORKERS processes (pytest-xdist), each on its own test database (and
# Redis database). `--dist load` hands out tests in pytest-django's order, so each process still
# runs its transactional tests (races, browser journeys) after the rest: they empty the database.
PYTEST_WORKERS ?= 2

test: install
	@rc=0; $(PY) -m pytest -n $(PYTEST_WORKERS) --dist load $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# Mutation testing (tests/mutation, docs/testing.md): `make mutate` runs mutmut over every group of
# protective modules and prints each module's score and surviving mutants (about an hour on two
# cores; MUTATE_ARGS="workflow --record" runs one group and records it in baseline.json).
# `make mutate-changed` (CI) reruns only the groups whose modules differ from the baseline.
mutate: install
	$(PY) -m tests.mutation.run $(MUTATE_ARGS)

mutate-changed: install
	$(PY) -m tests.mutation.run --changed

# Speed figures on PostgreSQL (a scratch database xueshi_bench on 127.0.0.1:5432, kept between runs):
# the 待办列表 and batch decisions, the pages that read the summary (学时档案, staff ledger, 查询统计),
# a 1,000-record push to the training platforms' API, then the certificate PDF's render time and
# size (no database).
BENCH_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/xueshi_bench
BENCH_DECLARATIONS ?= 100000

bench-db:
	@psql "$(dir $(BENCH_DATABASE_URL))postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$(notdir $(BENCH_DATABASE_URL))'" | grep -q 1 \
	  || psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))"

bench: install bench-db
	DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_DEBUG=0 $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_DEBUG=0 $(PY) manage.py bench_queues --ensure $(BENCH_DECLARATIONS)
	DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_DEBUG=0 $(PY) manage.py bench_ledgers
	DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_DEBUG=0 $(PY) manage.py bench_api
	DJANGO_SETTINGS_MODULE=portal.settings.local DJANGO_DEBUG=0 $(PY) -m certificates.bench

# Load test (load/run.py): gunicorn with production settings on 127.0.0.1 over the same database,
# topped up to BENCH_DECLARATIONS, Redis db 4 for cache and sessions when it answers; locust drives
# the mix for LOAD_SECONDS (60), then a trivial view for the ceiling. LOAD_ARGS="--rps 150" etc.
load: install bench-db
	LOAD_DATABASE_URL=$(BENCH_DATABASE_URL) LOAD_DECLARATIONS=$(BENCH_DECLARATIONS) $(PY) -m load.run $(LOAD_ARGS)

install: sysdeps venv

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || $(MAKE) --no-print-directory apt PACKAGES="python3-venv"
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*; touch $@

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PACKAGES="$$missing"; fi

# Installs Debian packages as root, or through sudo; says loudly what to do where neither works.
apt:
	@echo "安装系统软件包 (installing Debian packages):$(PACKAGES)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else \
	  echo "!! 需要 root 权限安装: $(PACKAGES) — run: apt-get install$(PACKAGES)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends $(PACKAGES) >/dev/null

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Backups (portal/backup.py): the database as a consistent snapshot (pg_dump, or SQLite's online
# backup API), every stored file and the demo seal keys, in one tar with a manifest. The settings
# come from the environment, as for the site itself (DJANGO_SETTINGS_MODULE, DATABASE_URL, MEDIA_ROOT…).
BACKUP_DIR ?= var/backups

backup: venv
	$(PY) manage.py backup --output-dir "$(BACKUP_DIR)"

# Into an empty installation: a new empty database (createdb) and an empty MEDIA_ROOT or bucket.
restore: venv
	@[ -n "$(BACKUP)" ] || { echo "用法: make restore BACKUP=var/backups/xueshi-backup-….tar [FORCE=1]"; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(FORCE),--force)

clean-venv:
	rm -rf $(VENV)

# The two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CK := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(CK)
# pyproject.toml's extras, each installed once per version of it by the targets that need it:
# make run (DuckDB) installs none of them (issue 27: PySpark and dbt-spark are hundreds of MB)
SPARK := $(VENV)/.installed-$(CK)-spark
PG := $(VENV)/.installed-$(CK)-postgres
DEV := $(VENV)/.installed-$(CK)-dev
# Dagster's instance lives with the data (CSW_DATA_DIR), as in dagster_project/lib/settings.py
export DAGSTER_HOME ?= $(abspath $(or $(CSW_DATA_DIR),$(CURDIR)/data))/dagster_home
SCALE ?= S

.PHONY: setup-spark setup-postgres setup-dev help setup dbt run run-stripe run-saas test lint format docs docs-serve dagster dashboard generate browser bench clean postgres run-postgres postgres-stop java spark-cluster spark-cluster-stop test-spark-cluster

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	rm -f $(VENV)/.installed-* && touch $@

$(VENV)/.installed-$(CK)-%: $(STAMP)
	$(BIN)/pip install --quiet -e ".[$*]"
	touch $@

# A separate environment with an old DuckDB, standing in for a BI driver that
# bundles DuckDB 1.1: the tests open the published file with it.
BI_VENV := .venv-bi
BI_STAMP := $(BI_VENV)/.installed-duckdb-1.1.3
$(BI_STAMP):
	$(PYTHON) -m venv $(BI_VENV)
	$(BI_VENV)/bin/pip install --quiet duckdb==1.1.3
	touch $@

setup: $(STAMP) ## create .venv and install the project (once)
	@# a .venv copied with the checkout runs the other checkout's code (its scripts and the editable
	@# install name that folder): make a new one here
	@if ! head -1 $(BIN)/csw | grep -q "^#!$(CURDIR)/$(VENV)/"; then \
		echo "$(VENV) belongs to another checkout: making a new one here"; \
		rm -rf $(VENV) && $(MAKE) --no-print-directory $(STAMP); fi

setup-spark: setup ## add the Spark extra (PySpark, dbt-spark) for CSW_ENGINE=spark
	@$(MAKE) --no-print-directory $(SPARK)
setup-postgres: setup ## add the PostgreSQL extra (psycopg) for the PostgreSQL source
	@$(MAKE) --no-print-directory $(PG)
setup-dev: setup ## add the test and lint tools (pytest, ruff, playwright, localstripe)
	@$(MAKE) --no-print-directory $(DEV)

# dbt by hand on this warehouse, with a run's settings: make dbt ARGS="build --select account_health_weekly+"
dbt: setup ## run dbt by hand: make dbt ARGS="build --select account_health_weekly+" (csw dbt --help)
	$(BIN)/csw dbt $(ARGS)

run: setup $(if $(filter spark,$(CSW_ENGINE)),setup-spark java) ## generate the sample data if none, run the whole pipeline once (CSW_ENGINE=spark: on Spark)
	$(BIN)/csw run --sample-if-empty

# Spark (CSW_ENGINE=spark, the equivalence test, the local cluster) needs a Java runtime: Debian's OpenJDK 17.
java:
	@command -v java >/dev/null || { \
		echo "installing Debian's OpenJDK 17 for Spark"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

SPARK_CLUSTER := data/spark-cluster
spark-cluster: setup-spark java ## start a Spark standalone cluster here (master, 2 workers, Thrift server on 127.0.0.1:10000)
	@$(BIN)/python -m dagster_project.devtools.spark_cluster start $(SPARK_CLUSTER) && \
	echo "run on it: CSW_ENGINE=spark CSW_SPARK_HOST=127.0.0.1 CSW_SPARK_PORT=10000 make run (make spark-cluster-stop stops it)"

spark-cluster-stop: ## stop the cluster of make spark-cluster
	$(BIN)/python -m dagster_project.devtools.spark_cluster stop $(SPARK_CLUSTER)

test-spark-cluster: setup-spark setup-dev java ## the DuckDB-Spark equivalence test against a local cluster the test starts
	$(BIN)/pytest -m spark_cluster tests/test_spark_equivalence.py

# The dashboard test drives Debian's Chromium (installed as root with apt, once).
browser:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the dashboard test"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; }

# The PostgreSQL source's tests and `make run-postgres` start a throw-away server from Debian's package.
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql for the PostgreSQL source"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq postgresql >/dev/null; }

PG_DEMO := data/postgres-demo
run-postgres: setup-postgres postgres ## the sample with accounts, subscriptions and users in a local PostgreSQL (data/postgres-demo)
	@url=$$($(BIN)/python -m dagster_project.devtools.pg_server start $(PG_DEMO)/server) && \
	owner=$${url/csw_reader/csw_app} && \
	( [ -d $(PG_DEMO)/landing ] || $(BIN)/csw generate --out $(PG_DEMO)/landing --to-postgres "$$owner" ) && \
	CSW_DATA_DIR=$(PG_DEMO) DAGSTER_HOME=$(abspath $(PG_DEMO))/dagster_home CSW_PG_URL="$$url" $(BIN)/csw run --as-of 2026-11-15 && \
	echo "PostgreSQL: $$url (make postgres-stop stops it)"

# The Stripe demo: localstripe (with test clocks, devtools/stripe_server.py) on 127.0.0.1:8420, the sample's
# subscription histories written into it through the SDK, the rest of the sample from files.
STRIPE_DEMO := data/stripe-demo
STRIPE_KEY := sk_test_cswdemo0000000000000000
run-stripe: setup-dev ## the sample with billing read from a local fake Stripe server it starts (data/stripe-demo)
	@rm -rf $(STRIPE_DEMO) && mkdir -p $(STRIPE_DEMO)
	@$(BIN)/python -m dagster_project.devtools.stripe_server --port 8420 > $(STRIPE_DEMO)/stripe-server.log 2>&1 & \
	pid=$$!; trap "kill $$pid" EXIT; sleep 2; \
	$(BIN)/csw generate --out $(STRIPE_DEMO)/landing && \
	CSW_STRIPE_API_KEY=$(STRIPE_KEY) $(BIN)/python -m dagster_project.generator.to_stripe \
		--landing $(STRIPE_DEMO)/landing --until 2026-11-15 --api-base http://127.0.0.1:8420 && \
	CSW_DATA_DIR=$(STRIPE_DEMO) DAGSTER_HOME=$(abspath $(STRIPE_DEMO))/dagster_home CSW_STRIPE_API_KEY=$(STRIPE_KEY) \
		CSW_STRIPE_API_BASE=http://127.0.0.1:8420 $(BIN)/csw run --as-of 2026-11-15

# The sample as a company on Salesforce, Segment and Zendesk exports (docs/sources.md, "Vendor exports"):
# CRM and CS activities as Bulk API CSV, product calls as S3 gzipped JSON lines, tickets as Incremental
# Export pages; billing, NPS, trainings and the feature catalogue native, all keyed by Salesforce Account Ids.
SAAS_DEMO := data/saas-demo
run-saas: setup ## the sample as Salesforce, Segment and Zendesk exports, run through the vendor profiles (data/saas-demo)
	@rm -rf $(SAAS_DEMO) && $(BIN)/csw generate --format saas --out $(SAAS_DEMO)/landing && \
	CSW_DATA_DIR=$(SAAS_DEMO) CSW_LANDING_DIR=$(abspath $(SAAS_DEMO))/landing DAGSTER_HOME=$(abspath $(SAAS_DEMO))/dagster_home \
		$(BIN)/csw run --as-of 2026-11-15

postgres-stop: ## stop the server of make run-postgres
	$(BIN)/python -m dagster_project.devtools.pg_server stop $(PG_DEMO)/server

test: setup-dev setup-spark setup-postgres $(BI_STAMP) browser postgres java ## lint, check generated docs, run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/csw contract
	$(BIN)/dg check defs
	$(BIN)/pytest

format: setup-dev ## format and fix lint
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

generate: setup ## regenerate the sample data (ACCOUNTS=200 MONTHS=24 SEED=42)
	$(BIN)/csw generate --accounts $${ACCOUNTS:-200} --months $${MONTHS:-24} --seed $${SEED:-42}

dagster: setup ## open the Dagster UI (asset graph, checks, schedule) on http://127.0.0.1:3000
	mkdir -p $(DAGSTER_HOME) && cp -n dagster_project/dagster.yaml $(DAGSTER_HOME)/dagster.yaml || true
	$(BIN)/dg dev

bench: setup-dev setup-spark java ## benchmark the pipeline: make bench SCALE=S|M|L [ENGINE=duckdb|spark|spark-cluster] [REPEATS=3] [BENCH_ARGS=--no-incremental]
	$(BIN)/python bench/run.py --scale $(SCALE) --engine $${ENGINE:-duckdb} --repeats $${REPEATS:-3} $(BENCH_ARGS)

dashboard: setup ## start the leadership dashboard on http://localhost:8501
	$(BIN)/streamlit run dashboard/app.py --server.headless true --browser.gatherUsageStats false

docs: setup ## build the dbt documentation site (every mart column) into dbt/target/docs/
	cd dbt && ../$(BIN)/dbt docs generate --profiles-dir . --static --quiet --target-path target/docs
	@echo "dbt docs: $(CURDIR)/dbt/target/docs/static_index.html (or: make docs-serve)"

docs-serve: docs ## serve the dbt documentation site on http://localhost:8080
	cd dbt && ../$(BIN)/dbt docs serve --profiles-dir . --port 8080 --target-path target/docs

clean: ## remove generated data, the warehouse and dbt artifacts (keeps .venv)
	rm -rf data dbt/target dbt/logs

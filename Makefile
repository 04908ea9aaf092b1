# CarePulse: the single interface. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_COMPILE_BYTECODE := 1
export CAREPULSE_HOME ?= $(CURDIR)/data
RUN := $(UV) run --frozen --no-sync

.PHONY: java install demo demo-scheduler test test-scheduler test-fast lint bench-extract bench-transform bench-transform-spark bench-reviews bench-news bench-patient bench-dag-parse simulate dashboard browser services clean

install:  ## install uv if missing, then the locked environment with the deploy extra (bytecode compiled)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --extra deploy --extra spark  # Postgres, Celery, FAB: the scheduler tests run the production layout
	$(RUN) carepulse dbt-manifest  # what the DAG renders its per-model dbt tasks from

demo: install  ## the nightly DAG in-process against the simulator: two weeks backfilled, published
	$(RUN) carepulse config check
	$(RUN) carepulse demo

demo-scheduler: install services  ## the same night under Airflow's real scheduler (Postgres, LocalExecutor): UI + login printed
	$(RUN) carepulse config check
	$(RUN) carepulse demo-scheduler $(ARGS)

test: install browser services java  ## the whole suite (slow tests included) but the scheduler and two-engine tests
	$(RUN) pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=8 -m "not scheduler and not engines"  # 2 cores; a module stays on one worker

test-scheduler: install services  ## a night under the real scheduler: LocalExecutor+Postgres, Celery+Redis (CI's second step)
	$(RUN) pytest -n 2 --dist loadfile --durations=4 -m scheduler

test-spark: install java  ## Spark against DuckDB: two simulator nights, every mart compared; the marts gate (CI's third step)
	$(RUN) pytest --durations=4 -m engines

java:  ## Debian's Java 17 runtime for the Spark engine (pyspark starts a JVM), when missing
	@command -v java >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-17-jre-headless)

browser:  ## Debian's chromium for the dashboard's browser test (which skips, saying so, without one)
	@command -v chromium >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) \
		|| echo "no chromium: the dashboard browser test will skip"

services:  ## Debian's postgresql and redis-server: the scheduler stack's metadata DB and Celery broker
	@missing=""; \
	  { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="postgresql"; \
	  command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	  if [ -n "$$missing" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; fi

test-fast: install
	$(RUN) pytest -m "not slow"

lint: install
	$(RUN) ruff check .

bench-extract: install  ## items/s extracting one night of 100k mentions from the simulator
	$(RUN) python bench/extract.py --volume 100000

bench-dag-parse: install  ## wall and CPU seconds to parse dags/, Cosmos rendering and single dbt task
	$(RUN) python bench/dag_parse.py --repeat 10

bench-transform: install  ## one 100k-mention night (transform, marts gate, publish) over 1M and 10M of generated history
	mkdir -p $(CAREPULSE_HOME)
	$(RUN) python bench/transform.py --night 100000 --histories 1000000,10000000 --history-chunk-nights 10 --json $(CAREPULSE_HOME)/bench-transform.json

bench-transform-spark: install  ## the same night and histories on the Spark engine (local[2]): where a Spark night's time goes
	mkdir -p $(CAREPULSE_HOME)
	$(RUN) python bench/transform.py --engine spark --night 100000 --histories 1000000,10000000 --history-chunk-nights 10 --json $(CAREPULSE_HOME)/bench-transform-spark.json

bench-reviews: install  ## one night of Google reviews (new + re-read) over 100k and 1M reviews of history: review-mart seconds
	mkdir -p $(CAREPULSE_HOME)
	$(RUN) python bench/reviews.py --histories 100000,1000000 --json $(CAREPULSE_HOME)/bench-reviews.json

bench-news: install  ## one night of news and Facebook items over 100k and 1M items of history: seconds per model
	mkdir -p $(CAREPULSE_HOME)
	$(RUN) python bench/news.py --histories 100000,1000000 --json $(CAREPULSE_HOME)/bench-news.json

bench-patient: install  ## one night of 100k posts through language, screening and aspects over 1M and 10M of history
	$(RUN) python bench/patient.py --histories 1000000,10000000 --night 100000

simulate: install
	$(RUN) carepulse simulate

dashboard: install  ## the executive dashboard on http://127.0.0.1:8501 (reads the published warehouse)
	$(RUN) carepulse dashboard

clean:
	rm -rf data .pytest_cache

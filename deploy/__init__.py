"""The production layout's moving parts as code: the Airflow pools, the one-shot initialisation
compose's `airflow-init` runs, the compose settings read as data, and a process-based stack
(Postgres, Redis, api-server, scheduler, dag-processor, Celery workers) that runs the nightly
DAG under Airflow's real scheduler on one machine (`make demo-scheduler`, tests/deploy)."""

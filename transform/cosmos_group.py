"""The dbt project as Airflow tasks with astronomer-cosmos: one task per model and seed.

Rendering reads a dbt manifest written ahead of time (`carepulse dbt-manifest`, run by
`make install` and the image build), so parsing the DAG never runs dbt. Execution is LOCAL
with in-process dbt (dbtRunner). Tests run AFTER_ALL, as one `dbt test` task at the end:
measured here, per-model `dbt build` (TestBehavior.BUILD) never selects 44 multi-parent tests
(relationships and the privacy singular tests) or selects them before their parents are
built. Every task sits in the one-slot DuckDB writer pool (`keep_open: false` in the profile
releases the file between tasks). See DECISIONLOG.md for the timings behind the choice.
"""

from __future__ import annotations

import os
from pathlib import Path

from transform.build import DBT_DIR


def manifest_path() -> Path:
    return Path(os.environ.get("CAREPULSE_DBT_MANIFEST") or DBT_DIR / "target_manifest" / "manifest.json")


def write_manifest(target: Path | None = None) -> Path:
    """`dbt parse` in-process into the manifest folder (no warehouse connection is opened)."""
    from dbt.cli.main import dbtRunner

    target = target or manifest_path()
    os.environ.setdefault("CAREPULSE_PSEUDONYM_KEY", "parse-only-key-never-used-for-data")
    res = dbtRunner().invoke(["parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                              "--target-path", str(target.parent), "--quiet"])
    if not res.success:
        raise RuntimeError(f"dbt parse failed: {res.exception}")
    return target


def dbt_task_group(group_id: str, pool: str):
    """A DbtTaskGroup of the whole project, every task in `pool`."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection

    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=DBT_DIR, manifest_path=manifest_path(),
                                     project_name="carepulse", install_dbt_deps=False, partial_parse=True),
        profile_config=ProfileConfig(profile_name="carepulse", target_name="candidate",
                                     profiles_yml_filepath=DBT_DIR / "profiles.yml"),
        execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                         invocation_mode=InvocationMode.DBT_RUNNER,
                                         test_indirect_selection=TestIndirectSelection.BUILDABLE),
        render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_ALL,
                                   enable_mock_profile=False, emit_datasets=True),
        operator_args={"pool": pool},
        # default_args also reach the EmptyOperators Cosmos renders for ephemeral models
        default_args={"pool": pool},
    )

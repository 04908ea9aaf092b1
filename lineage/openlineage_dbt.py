"""OpenLineage events per dbt model, made after the fact from a run's evidence.

The nightly chain runs ONE in-process `dbt build`, so Airflow's OpenLineage provider sees a
single `transform` task and no per-model lineage. The run's evidence folder keeps the build's
`manifest.json` and `run_results.json` (and dbt docs keep `catalog.json`), which is all that
OpenLineage's own dbt integration (`DbtLocalArtifactProcessor`, the code behind `dbt-ol`)
needs. Working from the evidence rather than wrapping dbt keeps the build untouched, lets an
auditor regenerate the events of any past run, and never touches the shared
`dbt_project/target` (the processor reads copies in a temporary project).

Where the processor's view of this project is wrong, the copies and the events are corrected:

- ephemeral models are not relations: a model's parents are resolved through them to the
  sources, seeds and models they read (the processor would name non-existent tables);
- seeds are parents too (the processor drops them from inputs);
- Python models have Python, not SQL: their code goes in a `sourceCode` facet, not `sql`;
- column lineage keeps only input fields that name a relation of the manifest: the SQL
  parser leaves columns it cannot follow through CTEs or `select *` pointing at CTE names.

Events are masked for secrets (registered ones and any `*_KEY`, `*_TOKEN`, ... environment
value) before they are written, one JSON file each, to `lineage/dbt/<run folder>/`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from openlineage.client.event_v2 import InputDataset, RunEvent
from openlineage.client.facet_v2 import column_lineage_dataset, source_code_job
from openlineage.client.serde import Serde
from openlineage.common.provider.dbt.facets import ParentRunMetadata
from openlineage.common.provider.dbt.local import DbtLocalArtifactProcessor
from openlineage.common.provider.dbt.processor import ModelNode
from openlineage.common.provider.dbt.utils import __version__ as OPENLINEAGE_VERSION

from carepulse import paths
from carepulse.secrets import mask, register_secret
from transform.build import candidate_path

log = logging.getLogger(__name__)

JOB_NAMESPACE = "carepulse"
PRODUCER = f"https://github.com/OpenLineage/OpenLineage/tree/{OPENLINEAGE_VERSION}/integration/dbt"
ARTIFACTS = {"manifest.json": "dbt_manifest.json", "run_results.json": "dbt_run_results.json"}
DBT_COMMANDS = ("build", "run", "test", "seed", "snapshot")  # what the processor understands
DBT_JOB = "dbt-run-carepulse"  # the dbt invocation as a job, named as dbt-ol names it
AIRFLOW_DBT_TASK = "transform"  # the task of dags/social_listening_nightly.py that runs dbt build
SECRET_ENV = re.compile(r"(?i)(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$")
MIN_SECRET_CHARS = 8


def emit_dbt_events(home: Path, audit: Path) -> int:
    """Write the dbt build's OpenLineage events under `home/lineage/dbt/<audit.name>/`.

    Returns how many events were written; 0 (with a log line naming the file) when the
    evidence lacks the manifest or run results, or they are not from one dbt build. A rerun
    replaces the folder's events.
    """
    missing = [str(audit / name) for name in ARTIFACTS.values() if not (audit / name).is_file()]
    if missing:
        log.warning("no dbt OpenLineage events for %s: missing %s", audit.name, ", ".join(missing))
        return 0
    manifest = _load(audit / ARTIFACTS["manifest.json"])
    run_results = _load(audit / ARTIFACTS["run_results.json"])
    problem = _unusable(manifest, run_results)
    if problem:
        log.warning("no dbt OpenLineage events for %s: %s (%s)", audit.name, problem, audit)
        return 0
    corrected = _for_processor(manifest)
    with tempfile.TemporaryDirectory(prefix="carepulse-ol-dbt-") as tmp:
        processor = _processor(Path(tmp), home, audit, corrected)
        processor.dbt_run_metadata = _parent(home, audit, run_results)
        events = processor.parse().events()
    _correct(events, manifest, corrected["parent_map"], processor)
    count = _write(events, paths.lineage_dir(home) / "dbt" / audit.name)
    log.info("dbt OpenLineage events for %s: %d", audit.name, count)
    return count


def _load(path: Path) -> dict:
    """A dbt artifact, or an error naming the file."""
    try:
        return json.loads(path.read_text())
    except ValueError as err:
        raise ValueError(f"{path} is not a readable dbt artifact: {err}") from err


def _unusable(manifest: dict, run_results: dict) -> str | None:
    """Why the two artifacts cannot describe one build, or None when they can."""
    command = run_results.get("args", {}).get("which")
    if command not in DBT_COMMANDS:
        return f"{ARTIFACTS['run_results.json']} is from `dbt {command}`, not a build"
    ours = manifest.get("metadata", {}).get("invocation_id")
    theirs = run_results.get("metadata", {}).get("invocation_id")
    if ours != theirs:
        return (f"{ARTIFACTS['manifest.json']} (dbt invocation {ours}) and {ARTIFACTS['run_results.json']} "
                f"(invocation {theirs}) are not from the same dbt run")
    return None


# -- the processor, on copies of the evidence --------------------------------------------------


class _EvidenceProcessor(DbtLocalArtifactProcessor):
    """The local processor with the connection given, not read from a profiles.yml.

    The stock one renders the real profiles.yml (`env_var()` against this process's
    environment); only the adapter type and the warehouse path matter for the events.
    """

    def __init__(self, *, warehouse: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.warehouse = warehouse

    def get_dbt_metadata(self) -> tuple[dict, dict, dict, dict | None]:
        manifest = self.load_metadata(self.manifest_path, list(range(2, 13)), self.logger)
        run_results = self.load_metadata(self.run_result_path, list(range(2, 7)), self.logger)
        catalog = None
        if os.path.exists(self.catalog_path):
            catalog = self.load_metadata(self.catalog_path, [1], self.logger)
        return manifest, run_results, {"type": "duckdb", "path": str(self.warehouse)}, catalog


def _processor(tmp: Path, home: Path, audit: Path, manifest: dict) -> _EvidenceProcessor:
    """A processor over a temporary project holding the (corrected) manifest and copies."""
    project = manifest.get("metadata", {}).get("project_name") or "carepulse"
    (tmp / "dbt_project.yml").write_text(json.dumps({"name": project, "profile": project}))
    target = tmp / "target"
    target.mkdir()
    (target / "manifest.json").write_text(json.dumps(manifest))
    shutil.copyfile(audit / ARTIFACTS["run_results.json"], target / "run_results.json")
    catalog = home / "warehouse" / "dbt_docs" / "catalog.json"
    if catalog.is_file():
        shutil.copyfile(catalog, target / "catalog.json")
    return _EvidenceProcessor(
        warehouse=candidate_path(home).resolve(), project_dir=str(tmp), target="candidate",
        target_path="target", producer=PRODUCER, job_namespace=JOB_NAMESPACE)


def _for_processor(manifest: dict) -> dict:
    """The manifest with parents resolved through ephemeral models and no Python as SQL."""
    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    parent_map = dict(manifest["parent_map"])
    for uid, parents in manifest["parent_map"].items():
        if uid.startswith(("model.", "snapshot.")):
            parent_map[uid] = _materialised_parents(parents, manifest["parent_map"], nodes)
    copied = dict(manifest, parent_map=parent_map, nodes=dict(manifest["nodes"]))
    for uid, node in manifest["nodes"].items():
        if node.get("language", "sql") != "sql" and node.get("compiled_code"):
            copied["nodes"][uid] = {k: v for k, v in node.items() if k != "compiled_code"}
    return copied


def _materialised_parents(parents: list[str], parent_map: dict, nodes: dict) -> list[str]:
    """Parents with every ephemeral model replaced by what it reads, first seen first."""
    found: list[str] = []
    stack = list(reversed(parents))
    while stack:
        uid = stack.pop()
        if _is_ephemeral(nodes.get(uid)):
            stack.extend(reversed(parent_map.get(uid, [])))
        elif uid not in found:
            found.append(uid)
    return found


def _is_ephemeral(node: dict | None) -> bool:
    return bool(node) and node.get("config", {}).get("materialized") == "ephemeral"


# -- parent run: the Airflow task that ran dbt, else the dbt invocation --------------------------


def _parent(home: Path, audit: Path, run_results: dict) -> ParentRunMetadata:
    """The Airflow `transform` task run of this pipeline run when its events are there."""
    task = _airflow_task_start(home, audit.name)
    if task is not None:
        parent = task["run"]["facets"].get("parent") or {}
        root = parent.get("root") or parent
        return ParentRunMetadata(
            run_id=task["run"]["runId"], job_name=task["job"]["name"], job_namespace=task["job"]["namespace"],
            root_parent_run_id=root.get("run", {}).get("runId"),
            root_parent_job_name=root.get("job", {}).get("name"),
            root_parent_job_namespace=root.get("job", {}).get("namespace"))
    invocation = str(run_results.get("metadata", {}).get("invocation_id") or audit.name)
    return ParentRunMetadata(run_id=_as_uuid(invocation), job_name=DBT_JOB, job_namespace=JOB_NAMESPACE)


def _airflow_task_start(home: Path, run_folder: str) -> dict | None:
    """The START event of the dbt task of the Airflow DAG run whose folder is `run_folder`."""
    from carepulse.nightly import folder_name

    for path in sorted((paths.lineage_dir(home) / "airflow").glob("*.json")):
        try:
            event = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        dag_run = event.get("run", {}).get("facets", {}).get("airflow", {}).get("dagRun", {})
        if (event.get("eventType") == "START" and folder_name(str(dag_run.get("run_id", ""))) == run_folder
                and event.get("job", {}).get("name", "").endswith(f".{AIRFLOW_DBT_TASK}")):
            return event
    return None


def _as_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"carepulse:dbt:{value}"))


# -- corrections to the processor's events ------------------------------------------------------


def _correct(events: list[RunEvent], manifest: dict, parent_map: dict,
             processor: _EvidenceProcessor) -> None:
    """Seed inputs, Python source code and column lineage limited to real relations."""
    relations = _relation_names(manifest, processor)
    for event in events:
        uid = getattr(event.job.facets.get("dbt_node"), "unique_id", None) or ""
        node = manifest["nodes"].get(uid)
        if node is None or not uid.startswith(("model.", "snapshot.")):
            continue
        _add_seed_inputs(event, parent_map.get(uid, []), manifest, processor)
        if node.get("language", "sql") != "sql" and node.get("compiled_code"):
            event.job.facets["sourceCode"] = source_code_job.SourceCodeJobFacet(
                language=node["language"], sourceCode=node["compiled_code"])
        for output in event.outputs or []:
            _keep_real_columns(output.facets, relations)


def _relation_names(manifest: dict, processor: _EvidenceProcessor) -> set[str]:
    """Dataset names (as the processor formats them) of every node that is a relation."""
    names = set()
    for uid, node in {**manifest["nodes"], **manifest.get("sources", {})}.items():
        if uid.startswith(("model.", "seed.", "snapshot.", "source.")) and not _is_ephemeral(node):
            table = node["name"] if uid.startswith("source.") else node.get("alias") or node["name"]
            names.add(processor._format_dataset_name(node.get("database"), node.get("schema"), table))
    return names


def _add_seed_inputs(event: RunEvent, parents: list[str], manifest: dict,
                     processor: _EvidenceProcessor) -> None:
    """Seeds a model reads become inputs (START and COMPLETE share one inputs list)."""
    present = {dataset.name for dataset in event.inputs}
    for uid in parents:
        seed = manifest["nodes"].get(uid) if uid.startswith("seed.") else None
        if seed is None:
            continue
        dataset = processor.node_to_dataset(ModelNode(type="seed", metadata_node=seed), has_facets=True)
        if dataset.name not in present:
            event.inputs.append(InputDataset(namespace=dataset.namespace, name=dataset.name,
                                             facets=dataset.facets))
            present.add(dataset.name)


def _keep_real_columns(facets: dict, relations: set[str]) -> None:
    """Drop column-lineage input fields naming CTEs (not datasets); drop emptied columns."""
    facet = facets.get("columnLineage")
    if facet is None:
        return
    fields = {}
    for column, lineage in facet.fields.items():
        inputs = [f for f in lineage.inputFields if f.name in relations]
        if inputs:
            fields[column] = column_lineage_dataset.Fields(inputFields=inputs)
    if fields:
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)
    else:
        del facets["columnLineage"]


# -- writing ------------------------------------------------------------------------------------


def _write(events: list[RunEvent], folder: Path) -> int:
    """One masked JSON file per event; the folder is swapped in whole, replacing a rerun's."""
    _register_env_secrets()
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for index, event in enumerate(events):
        job = re.sub(r"[^A-Za-z0-9_.-]+", "_", event.job.name)
        name = f"{index:05d}-{event.eventType.value}-{job}.json"
        (partial / name).write_text(mask(Serde.to_json(event)) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return len(events)


def _register_env_secrets() -> None:
    """Mask the values of secret-named environment variables (pseudonym key, API tokens)."""
    for name, value in os.environ.items():
        if SECRET_ENV.search(name) and len(value) >= MIN_SECRET_CHARS:
            register_secret(value)

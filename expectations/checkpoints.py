"""One GX checkpoint per dataset over a data frame, then Data Docs from scrubbed results.

A pandas frame is validated through GX's pandas datasource, a Spark DataFrame (the marts gate
on the Spark engine) through its Spark datasource on the frame's own session; the suites are
the same objects either way.

Each frame gets its own dataframe asset, whole-frame batch definition, validation definition
and checkpoint: a checkpoint passes one set of batch parameters to all its validation
definitions, and every dataset is a different frame. Results are scrubbed (evidence.scrub)
and written back to the in-memory results store before the docs are rendered from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from carepulse.config import LoadedConfig
from expectations import evidence
from expectations.gx_setup import DOCS_SITE, RESULT_FORMAT, make_context


@dataclass
class Outcome:
    suites: dict[str, bool] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)  # suite -> ExpectationSuiteValidationResult
    docs_index: Path | None = None
    result_format: dict[str, Any] = field(default_factory=lambda: dict(RESULT_FORMAT))


def run_checkpoints(frames: dict[str, Any], config: LoadedConfig, parameters: dict[str, dict[str, Any]],
                    docs_dir: Path | None, run_name: str) -> Outcome:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    from expectations.suites import build_suite

    context = make_context(docs_dir)
    sources: dict[str, Any] = {}
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    outcome = Outcome()
    for name, frame in frames.items():
        suite = context.suites.add(build_suite(name, config))
        asset = _source(context, sources, frame).add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("whole frame")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite))
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=name, validation_definitions=[definition], result_format=RESULT_FORMAT))
        result = checkpoint.run(batch_parameters={"dataframe": frame},
                                expectation_parameters=parameters.get(name, {}), run_id=run_id)
        for key, validation in result.run_results.items():
            outcome.results[name] = evidence.scrub(validation)
            if docs_dir is not None:  # the docs render from the store: give it the scrubbed result
                context.validation_results_store.set(key, validation)
        outcome.suites[name] = bool(result.success)
        if not isinstance(frame, pd.DataFrame):
            frame.unpersist()  # GX's Spark engine cached it for its metrics
    if docs_dir is not None:
        context.build_data_docs(site_names=[DOCS_SITE])
        outcome.docs_index = docs_dir / "index.html"
    return outcome


def _source(context: Any, sources: dict[str, Any], frame: Any) -> Any:
    """The context's pandas datasource ("frames") for a pandas frame, else its Spark one."""
    pandas = isinstance(frame, pd.DataFrame)
    kind = "frames" if pandas else "spark frames"
    if kind not in sources:
        add = context.data_sources.add_pandas if pandas else context.data_sources.add_spark
        sources[kind] = add(kind)
    return sources[kind]

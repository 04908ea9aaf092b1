"""Great Expectations, set up for the gate: in memory, offline, no values in results.

GX is imported lazily (it takes seconds), inside the functions that need it, after
`quiet_environment()` has switched analytics off: the gate must make no network call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from great_expectations.data_context import EphemeralDataContext

# SUMMARY keeps counts (element, unexpected, missing) for the failure summaries; with
# partial_unexpected_count 0 it keeps no sample of the unexpected values themselves, so no
# row value (patient text included) reaches the results JSON or the Data Docs.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}
DOCS_SITE = "audit"


def quiet_environment() -> None:
    """No usage analytics: GX reads GX_ANALYTICS_ENABLED (GX 1.24 ships no analytics client,
    but a later minor version might; the context also sets analytics_enabled=False)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


def make_context(docs_dir: Path | None) -> EphemeralDataContext:
    """An in-memory context whose only Data Docs site (if any) is a folder under the audit dir."""
    quiet_environment()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    # mode="ephemeral": never a file context found by walking up, never GX Cloud
    return gx.get_context(project_config=config, mode="ephemeral")

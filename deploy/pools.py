"""The Airflow pools the nightly DAG runs in. One definition, read by the DAG (pool names) and by
`carepulse airflow-init` (which creates them), so the two cannot drift."""

from __future__ import annotations

from carepulse.config import PLATFORMS
from carepulse.sources import SOURCES

WRITER_POOL = "duckdb_writer"
DEFAULT_PLATFORM_SLOTS = 2


def platform_pool(platform: str) -> str:
    return SOURCES[platform].pool


def pool_specs(platform_slots: int = DEFAULT_PLATFORM_SLOTS) -> dict[str, tuple[int, str]]:
    """name -> (slots, description). The writer pool has one slot whatever the executor: DuckDB
    refuses a second process while one holds the warehouse file read-write."""
    if platform_slots < 1:
        raise ValueError(f"platform pool slots must be >= 1, got {platform_slots}")
    specs = {WRITER_POOL: (1, "One task at a time may open a DuckDB warehouse file read-write")}
    for platform in PLATFORMS:
        specs[platform_pool(platform)] = (
            platform_slots, f"Concurrent {platform} extraction tasks (the platform's API quota)")
    return specs


def ensure_pools(platform_slots: int = DEFAULT_PLATFORM_SLOTS) -> dict[str, int]:
    """Create or update every pool in the metadata DB this process is configured for."""
    from airflow.models.pool import Pool

    specs = pool_specs(platform_slots)
    for name, (slots, description) in specs.items():
        Pool.create_or_update_pool(name, slots, description, include_deferred=False)
    return {name: slots for name, (slots, _) in specs.items()}

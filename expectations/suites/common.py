"""Building blocks shared by the suites: the recurring expectations and the window columns."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import great_expectations.expectations as gxe
import pandas as pd

from expectations.raw_zone import PageContext

# Platform clocks and ours disagree by seconds; this keeps "not after it was fetched" honest.
CLOCK_SKEW = timedelta(minutes=5)
# A BCP 47 language tag (primary tag and subtags); also matches X's own und, qme, qht, zxx.
LANGUAGE_TAG = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"


def not_null(*columns: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def non_negative(*columns: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in columns]


def between(column: str, low: float | None, high: float | None) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def in_set(column: str, values: list[Any] | tuple[Any, ...] | set[Any]) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values, key=str))


def all_true(*columns: str) -> list[gxe.Expectation]:
    """Boolean facts computed while reading (never None), e.g. "the text field is present"."""
    return [gxe.ExpectColumnValuesToBeInSet(column=c, value_set=[True]) for c in columns]


def matches(column: str, regex: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex)


def equal(column_a: str, column_b: str) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesToBeEqual(column_A=column_a, column_B=column_b)


def inside_window(column: str = "published_at") -> list[gxe.Expectation]:
    """window_start <= column <= window_end; a missing bound (or value) is not checked here
    (the value's own not-null expectation reports it)."""
    return [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column, column_B="window_start", or_equal=True,
            ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="window_end", column_B=column, or_equal=True,
            ignore_row_if="either_value_is_missing"),
    ]


def volume_band() -> gxe.Expectation:
    """Row count within the band of recent nights (suite parameters set per run, see volume.py)."""
    return gxe.ExpectTableRowCountToBeBetween(min_value={"$PARAMETER": "volume_min"},
                                              max_value={"$PARAMETER": "volume_max"})


def shard_window(page: PageContext, pad: timedelta = timedelta(0)) -> dict[str, datetime | None]:
    """The API filtered on the shard's [since, until): published times must fall inside."""
    start = page.since - pad if page.since else None
    end = page.until + pad if page.until else None
    return {"window_start": start, "window_end": end}


def fetched_window(page: PageContext, since: bool = False) -> dict[str, datetime | None]:
    """The API has no time filter (or the item can be newer than the shard): only "not after
    it was fetched", and, with since=True, "not before the shard's window opened"."""
    end = page.fetched_at + CLOCK_SKEW if page.fetched_at else None
    return {"window_start": page.since if since else None, "window_end": end}


def keyed(prefix: str, listed: list[Any]) -> set[str]:
    """`<prefix><id>` of every item with an id (what a staging model keyed by id loads)."""
    return {f"{prefix}{x['id']}" for x in listed if isinstance(x, dict) and x.get("id")}


# -- marts -------------------------------------------------------------------------------------

def brand_ids(config: Any) -> set[str]:
    """The organisation and the locked panel of the config being published."""
    return {b.id for b in config.config.brands}


def campaign_ids(config: Any) -> set[str]:
    return {c.id for c in config.config.campaigns}


def without_phi(frame: Any, column: str = "text_redacted") -> Any:
    """Replace a redacted-text column by the verdict of the warehouse's own residue detector
    (transform.privacy.phi_residue), so the text itself never reaches GX.

    A Spark frame gets the verdict from a pandas UDF over the same function: the text stays in
    Spark (no toPandas of text), and the frame stays a Spark DataFrame for GX."""
    if not isinstance(frame, pd.DataFrame):
        return frame.withColumn("text_has_phi_residue", _phi_residue_udf()(frame[column])).drop(column)
    from transform.privacy import phi_residue

    frame = frame.copy()
    frame["text_has_phi_residue"] = [bool(phi_residue(t)) for t in frame[column]]
    return frame.drop(columns=[column])


@functools.cache
def _phi_residue_udf() -> Any:
    from pyspark.sql.functions import pandas_udf

    from transform.privacy import phi_residue

    def verdicts(texts: pd.Series) -> pd.Series:
        # a NULL arrives as None (or NaN): phi_residue(None) is False, as in the pandas path
        return pd.Series([bool(phi_residue(None if t is None or t != t else t)) for t in texts],
                         dtype=bool)

    return pandas_udf(verdicts, "boolean")

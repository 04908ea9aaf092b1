"""The volume band: tonight's record count against the recent nights' manifests.

Rule (per raw dataset, i.e. per platform entity):
- baseline = the records of the dataset's endpoints in the current pages (see raw_zone) of
  each of the previous HISTORY_DAYS nights whose platform finished complete;
- with fewer than MIN_NIGHTS such nights there is no band yet (the first nights of a
  deployment, or after a long gap): any count passes;
- otherwise the band is [median / FACTOR, median * FACTOR]. A median under SMALL_MEDIAN is
  noise-dominated: the lower bound is 0 and the upper bound is SMALL_MEDIAN * FACTOR;
- a night whose platform is partial tonight (quota, rate limit, auth: reported by the
  data-health mart) keeps the upper bound but gets lower bound 0: a short night is a known,
  flagged condition, not a data defect.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

HISTORY_DAYS = 14
MIN_NIGHTS = 3
FACTOR = 3.0
SMALL_MEDIAN = 20


@dataclass(frozen=True)
class Band:
    min_value: int
    max_value: int | None
    median: float | None
    nights: int
    rule: str

    def parameters(self) -> dict[str, int | None]:
        return {"volume_min": self.min_value, "volume_max": self.max_value}


def band(history: list[int], partial_tonight: bool = False) -> Band:
    """The allowed range of tonight's count given the counts of previous complete nights."""
    if len(history) < MIN_NIGHTS:
        return Band(0, None, None, len(history),
                    f"lenient: {len(history)} previous complete night(s), a band needs {MIN_NIGHTS}")
    median = statistics.median(history)
    if median < SMALL_MEDIAN:
        low, high = 0, math.ceil(SMALL_MEDIAN * FACTOR)
    else:
        low, high = math.floor(median / FACTOR), math.ceil(median * FACTOR)
    rule = f"median {median:g} of {len(history)} night(s), factor {FACTOR:g}"
    if partial_tonight:
        low, rule = 0, rule + "; platform partial tonight: no lower bound"
    return Band(low, high, median, len(history), rule)

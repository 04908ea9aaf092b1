"""The quality gate: Great Expectations suites for the raw landing and the candidate marts.

    from expectations import validate_raw, validate_marts, validate_marts_spark, ValidationFailed

Importing this package is cheap; GX is imported when a gate runs.
"""

from expectations.runner import (
    GateReport,
    ValidationFailed,
    run_gate,
    validate_marts,
    validate_marts_spark,
    validate_raw,
)

__all__ = ["GateReport", "ValidationFailed", "run_gate", "validate_marts", "validate_marts_spark",
           "validate_raw"]

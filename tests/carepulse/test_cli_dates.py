"""Nights on the command line: malformed, reversed, unfinished and very long ranges are refused
before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from carepulse.cli import MAX_NIGHTS, app


@pytest.fixture
def run(home):
    def invoke(*args: str):
        result = CliRunner().invoke(app, list(args))
        return result.exit_code, " ".join(result.output.split())
    return invoke


def test_a_long_range_needs_yes(run, home):
    code, text = run("run", "--start", "2025-10-31", "--end", "2026-12-04")
    assert code == 2 and "is 400 nights" in text and "--yes" in text
    assert not home.exists()


@pytest.mark.parametrize("days_ahead", [0, 1, 200])
def test_a_night_that_has_not_ended_is_refused(run, home, days_ahead):
    night = (datetime.now(UTC) + timedelta(days=days_ahead)).date().isoformat()
    for command in ("run", "extract", "validate", "transform"):
        code, text = run(command, "--date", night)
        assert code == 2 and "has not ended" in text, (command, text)
    assert not home.exists()


def test_malformed_and_reversed_dates_are_refused(run, home):
    assert run("run", "--date", "2026-13-01")[0] == 2
    code, text = run("run", "--start", "2026-11-05", "--end", "2026-11-01")
    assert code == 2 and "before --start" in text
    assert MAX_NIGHTS >= 28


def test_nights_by_word_follow_today():
    from carepulse.cli import night_of

    today = datetime.now(UTC).date()
    assert night_of("yesterday") == today - timedelta(days=1)
    assert night_of("today-7") == today - timedelta(days=7)
    assert night_of("2026-11-26").isoformat() == "2026-11-26"
    for bad in ("tomorrow", "today+1", "today-"):
        with pytest.raises(ValueError):
            night_of(bad)


def test_today_itself_is_refused_and_words_are_named_in_the_error(run, home):
    code, text = run("run", "--date", "today-0")
    assert code == 2 and "has not ended" in text
    code, text = run("run", "--date", "tomorrow")
    assert code == 2 and "YYYY-MM-DD, yesterday or today-N" in text
    assert not home.exists()

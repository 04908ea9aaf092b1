"""Redaction removes every planted identifier, keeps ordinary health talk, and fails closed."""

from __future__ import annotations

import random

import duckdb
import pytest

from extract.simulator.world import plant_phi
from transform import privacy
from transform.duckdb_plugin import register

KEY = "test-pseudonym-key-0123456789"
KEEP = [
    "Waited 3 hours in the ER at Lakemont Health, stage 4 and still no bed",
    "Got a $5,958 bill for a visit my insurance covered",
    "Took 1500 mg of ibuprofen? no, 400 mg twice a day",
    "Flu shot clinic open 8-5 on Saturday, 2026-11-26, room 204",
    "@lakemonthealth thanks! https://x.com/someone/status/2126103627208322142/photo/1",
    "Call 911 in an emergency",
]


@pytest.fixture(scope="module")
def conn():
    import os
    os.environ.setdefault("CAREPULSE_PSEUDONYM_KEY", KEY)
    c = duckdb.connect()
    register(c)
    return c


def planted(n: int, seed: int = 3) -> list[tuple[str, tuple[str, ...]]]:
    rng = random.Random(seed)
    return [plant_phi(rng.random, count=1 + i % 3) for i in range(n)]


def sql_redact(conn, texts: list[str]) -> list[tuple[str, bool]]:
    rows = conn.execute(
        "select redact_phi(t), phi_residue(redact_phi(t)) from unnest(?) with ordinality as u(t, i) "
        "order by i", [texts]).fetchall()
    return [(r[0], r[1]) for r in rows]


def test_every_planted_identifier_is_removed_in_sql_and_python(conn):
    cases = planted(2000)
    texts = [t for t, _ in cases]
    for (text, values), (redacted, residue) in zip(cases, sql_redact(conn, texts), strict=True):
        assert not any(v in redacted for v in values), (text, redacted)
        assert redacted == privacy.redact(text)  # the SQL and Python twins agree
        assert not residue, redacted  # nothing left that would force quarantine
        assert any(p in redacted for p in privacy.PLACEHOLDERS)


def test_ordinary_health_talk_is_kept(conn):
    for text, (redacted, residue) in zip(KEEP, sql_redact(conn, KEEP), strict=True):
        assert redacted == text
        assert not residue, text


@pytest.mark.parametrize("text", [
    "my cell is 415 555 0123 ext 9",  # caught by the redactor
    "reach me on 4 1 5 5 5 5 0 1 2 3",  # spaced-out digits: the redactor misses them
    "patient MRN: A-00123456",  # an MRN shape outside the pattern
])
def test_residue_fails_closed_on_what_the_patterns_miss(conn, text):
    [(redacted, residue)] = sql_redact(conn, [text])
    assert residue or redacted != text
    if redacted == text:
        assert residue, f"{text!r} would have been loaded unredacted"


def test_pseudonym_is_keyed_and_stable(conn):
    a = conn.execute("select pseudonym('x', '123'), pseudonym('x', '123'), pseudonym('reddit', '123'), "
                     "pseudonym('x', null)").fetchone()
    assert a[0] == a[1] != a[2] and a[3] is None
    assert a[0] == privacy.pseudonym(KEY.encode(), "x", "123") or a[0].startswith("anon_")
    assert privacy.pseudonym(b"other-key-000000000", "x", "123") != a[0]


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("CAREPULSE_PSEUDONYM_KEY", raising=False)
    with pytest.raises(RuntimeError, match="CAREPULSE_PSEUDONYM_KEY"):
        register(duckdb.connect())


def test_sql_residue_check_agrees_with_python_on_raw_and_redacted_text(conn):
    """The SQL check runs the detectors as one alternation; Python runs them one by one."""
    texts = [t for t, _ in planted(500, seed=11)] + KEEP + [
        "reach me on 4 1 5 5 5 5 0 1 2 3", "patient MRN: A-00123456", "DOB was 3/4/1950",
        "mail JOHN.DOE@EXAMPLE.ORG", "lives at 12 Oak Hill Road", "https://x.com/a/status/1234567890 ok"]
    rows = conn.execute("select phi_residue(t) from unnest(?) with ordinality as u(t, i) order by i",
                        [texts]).fetchall()
    found = [r[0] for r in rows]
    assert found == [privacy.phi_residue(t) for t in texts]
    assert any(found) and not all(found)

"""`carepulse lineage trace`: a published share-of-voice row down to raw files and lines."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from carepulse.cli import app
from extract.landing import sha256_file
from lineage.trace import TraceError, trace

pytestmark = pytest.mark.slow


def busiest_sov_row(home) -> list[str]:
    con = duckdb.connect(str(home / "warehouse" / "carepulse.duckdb"), read_only=True)
    try:
        return list(con.execute("select cast(mention_date as varchar), platform, brand_id "
                                "from marts.fct_share_of_voice_daily order by mentions desc, sov_key "
                                "limit 1").fetchone())
    finally:
        con.close()


def manifest_hashes(home) -> dict[str, str]:
    return {f["path"]: f["sha256"] for m in (home / "raw" / "manifests").glob("date=*/run=*/manifest.json")
            for f in json.loads(m.read_text())["files"]}


def test_a_sov_row_is_reproduced_by_its_mentions_and_raw_files_hash_to_their_manifest(published_world):
    home = published_world["home"]
    key = busiest_sov_row(home)
    result = trace(home, "fct_share_of_voice_daily", key)
    row, mentions = result["row"], result["mentions"]
    assert result["verified"]
    # recomputed here from the listed mentions, independently of the trace's own check
    assert len(mentions) == row["mentions"] > 0
    assert sum(m["engagements"] for m in mentions) == row["engagements"]
    assert sum(m["reach"] for m in mentions) == row["reach"]
    for label in ("positive", "neutral", "negative"):
        assert sum(m["adjusted_label"] == label for m in mentions) == row[f"{label}_mentions"]
    assert {(m["mention_date"], m["platform"], m["brand_id"]) for m in mentions} == {tuple(key)}
    recorded = manifest_hashes(home)
    cited = {m["raw"]["file"].removeprefix("raw/") for m in mentions}
    for path in cited:
        assert sha256_file(home / "raw" / path) == recorded[path], path
    for m in mentions:
        assert m["raw"]["record_found"] and m["raw"]["json_path"].startswith("$.body"), m
        assert m["staging"]["cites_same_file"], m
    assert {r["run_id"] for r in result["extraction_runs"]} == {m["run_id"] for m in mentions}
    assert all(r["config_sha256"] and r["code_version"] for r in result["extraction_runs"])
    assert result["lexicon_versions"]
    publish = result["publish"]
    assert publish["run_id"] == published_world["run_id"] and publish["gate"]["passed"]
    assert publish["dbt"]["invocation_id"]


def test_the_cli_prints_the_trace_and_its_json(published_world, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(published_world["home"]))
    key = busiest_sov_row(published_world["home"])
    text = CliRunner().invoke(app, ["lineage", "trace", "fct_share_of_voice_daily", *key])
    assert text.exit_code == 0, text.output
    assert "VERIFIED" in text.output and "re-hashed equal to their manifest" in text.output
    as_json = CliRunner().invoke(app, ["lineage", "trace", "fct_share_of_voice_daily", *key, "--json"])
    assert json.loads(as_json.output)["verified"] is True


def test_a_tampered_raw_file_makes_the_trace_unverified(world_copy):
    key = busiest_sov_row(world_copy)
    cited = trace(world_copy, "fct_share_of_voice_daily", key)["mentions"][0]["raw"]["file"]
    path = world_copy / cited
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    result = trace(world_copy, "fct_share_of_voice_daily", key)
    assert not result["verified"]
    assert not result["raw_files"][cited.removeprefix("raw/")]["verified"]


def test_every_example_the_demo_prints_traces_and_reproduces(published_world):
    from lineage.trace import examples

    home = published_world["home"]
    rows = examples(home / "warehouse" / "carepulse.duckdb")
    assert [r[0] for r in rows] == ["fct_share_of_voice_daily", "fct_mentions",
                                    "fct_influencer_mentions_daily", "fct_location_rating_daily"]
    for mart, *key in rows:
        result = trace(home, mart, key)
        assert result["verified"], (mart, key)


def test_latest_names_the_newest_date_of_the_row(published_world):
    home = published_world["home"]
    _, platform, brand = busiest_sov_row(home)
    result = trace(home, "fct_share_of_voice_daily", ["latest", platform, brand])
    con = duckdb.connect(str(home / "warehouse" / "carepulse.duckdb"), read_only=True)
    try:
        (newest,) = con.execute("select cast(max(mention_date) as varchar) "
                                "from marts.fct_share_of_voice_daily where platform = ? and brand_id = ?",
                                [platform, brand]).fetchone()
    finally:
        con.close()
    assert result["key"]["mention_date"] == newest
    with pytest.raises(TraceError, match="brand_id=nobody"):
        trace(home, "fct_share_of_voice_daily", ["latest", platform, "nobody"])


def test_unknown_marts_and_keys_are_named(published_world):
    home = published_world["home"]
    with pytest.raises(TraceError, match=r"fct_nope.*traceable marts: fct_influencer"):
        trace(home, "fct_nope", ["x"])
    with pytest.raises(TraceError, match="keyed by mention_date platform brand_id"):
        trace(home, "fct_share_of_voice_daily", ["2026-01-01"])
    with pytest.raises(TraceError, match="brand_id=nobody"):
        trace(home, "fct_share_of_voice_daily", ["2026-01-01", "x", "nobody"])

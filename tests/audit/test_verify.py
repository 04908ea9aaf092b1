"""`carepulse audit verify`: the evidence chain and the raw zone, and tamper drills."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from carepulse.audit import seal, verify
from carepulse.cli import app

pytestmark = pytest.mark.slow


def some_raw_file(home):
    manifest = sorted((home / "raw" / "manifests").glob("date=*/run=*/manifest.json"))[0]
    return manifest, json.loads(manifest.read_text())["files"][0]["path"]


def problems(home) -> list[str]:
    return [str(p) for p in verify(home).problems]


def test_a_fresh_world_verifies(published_world):
    report = verify(published_world["home"])
    assert report.ok, report.problems
    assert report.checked["bundles"] == 1
    assert report.checked["raw files"] > 0 and report.checked["manifests"] == 2
    bundle = json.loads((published_world["audit"] / "bundle.json").read_text())
    for evidence in ("gate.json", "publish.json", "marts.json", "dbt_manifest.json", "dbt_run_results.json",
                     "extraction_manifests.json", "gx_marts_results.json", "dbt_docs.html"):
        assert evidence in bundle["files"], evidence
    assert [f for f in bundle["files"] if f.startswith("openlineage/dbt/") and "COMPLETE" in f]
    assert (published_world["home"] / "docs" / "dbt" / "index.html").exists()


def test_one_changed_byte_in_a_raw_file_is_named(world_copy, monkeypatch):
    _, rel = some_raw_file(world_copy)
    path = world_copy / "raw" / rel
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert [p for p in problems(world_copy) if p.startswith(f"raw/{rel}: sha256")], problems(world_copy)
    monkeypatch.setenv("CAREPULSE_HOME", str(world_copy))
    cli = CliRunner().invoke(app, ["audit", "verify"])
    assert cli.exit_code == 1 and f"raw/{rel}" in cli.output


def test_an_edited_manifest_is_named(world_copy):
    manifest, _ = some_raw_file(world_copy)
    doc = json.loads(manifest.read_text())
    doc["totals"]["records"] += 1
    manifest.write_text(json.dumps(doc))
    rel = str(manifest.relative_to(world_copy))
    assert [p for p in problems(world_copy) if p.startswith(rel) and "manifest edited" in p]


def test_a_deleted_raw_file_without_tombstone_is_named(world_copy):
    _, rel = some_raw_file(world_copy)
    (world_copy / "raw" / rel).unlink()
    assert [p for p in problems(world_copy) if p.startswith(f"raw/{rel}: missing")]


def test_edited_evidence_and_an_edited_bundle_break_the_chain(world_copy, published_world):
    audit = world_copy / "audit" / published_world["run_id"]
    gate = json.loads((audit / "gate.json").read_text())
    gate["stages"]["marts"]["failures"] = ["planted"]
    (audit / "gate.json").write_text(json.dumps(gate))
    assert any(p.startswith(f"audit/{audit.name}/gate.json: sha256") for p in problems(world_copy))
    bundle = json.loads((audit / "bundle.json").read_text())
    bundle["files"]["gate.json"] = "0" * 64
    (audit / "bundle.json").write_text(json.dumps(bundle))
    assert any("bundle edited" in p for p in problems(world_copy))


def test_the_chain_links_each_bundle_to_the_previous_one(world_copy, published_world):
    """A second sealed run links to the first; removing the first from the chain is named."""
    second = world_copy / "audit" / "run-second"
    second.mkdir()
    (second / "note.json").write_text("{}")
    entry = seal(world_copy, second)
    assert json.loads((second / "bundle.json").read_text())["previous"]["run_id"] == published_world["run_id"]
    chain = world_copy / "audit" / "chain.jsonl"
    lines = chain.read_text().splitlines()
    assert json.loads(lines[-1]) == entry
    chain.write_text(lines[-1] + "\n")
    found = problems(world_copy)
    assert any("chain reordered or a bundle removed" in p for p in found), found
    assert any("not in audit/chain.jsonl" in p for p in found), found


def test_a_published_warehouse_edited_after_its_publish_is_named(world_copy):
    """A number changed in the published file by hand, not by a publish, no longer matches the seal."""
    import duckdb

    with duckdb.connect(str(world_copy / "warehouse" / "carepulse.duckdb")) as con:
        con.execute("update marts.fct_share_of_voice_daily set mentions = mentions + 1 "
                    "where rowid = (select min(rowid) from marts.fct_share_of_voice_daily)")
    found = problems(world_copy)
    assert [p for p in found if p.startswith("warehouse/carepulse.duckdb: sha256 differs")], found

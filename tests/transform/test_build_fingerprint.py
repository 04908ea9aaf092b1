"""The candidate starts as a copy of the published warehouse only when that warehouse was built
with the same config and transform code; otherwise it starts empty (a full refresh)."""

from __future__ import annotations

import duckdb

from transform.build import candidate_path, fingerprint, published_path, start_candidate


def _publish(home, stamp: str | None) -> None:
    published = published_path(home)
    published.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(published))
    con.execute("create table kept as select 1 as marker")
    if stamp is not None:
        con.execute("create table carepulse_build as select ? as fingerprint", [stamp])
    con.close()


def _candidate_tables(home) -> set[str]:
    con = duckdb.connect(str(candidate_path(home)), read_only=True)
    try:
        return {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        con.close()


def test_same_fingerprint_copies_the_published_warehouse(tmp_path, loaded_config):
    _publish(tmp_path, fingerprint(loaded_config))
    start_candidate(tmp_path, loaded_config)
    assert _candidate_tables(tmp_path) == {"kept", "carepulse_build"}


def test_another_config_starts_empty_and_says_why(tmp_path, loaded_config, caplog):
    _publish(tmp_path, fingerprint(loaded_config))
    edited = loaded_config.model_copy(update={"sha256": "0" * 64})
    start_candidate(tmp_path, edited)
    assert _candidate_tables(tmp_path) == {"carepulse_build"}
    assert "full refresh" in caplog.text


def test_an_unstamped_warehouse_and_an_asked_full_refresh_start_empty(tmp_path, loaded_config):
    _publish(tmp_path, None)  # built before fingerprints were kept
    start_candidate(tmp_path, loaded_config)
    assert _candidate_tables(tmp_path) == {"carepulse_build"}
    _publish(tmp_path / "b", fingerprint(loaded_config))
    start_candidate(tmp_path / "b", loaded_config, full_refresh=True)
    assert _candidate_tables(tmp_path / "b") == {"carepulse_build"}


def test_a_models_doc_edit_does_not_change_the_fingerprint(loaded_config, monkeypatch, tmp_path):
    from transform import build

    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "models" / "m.sql").write_text("select 1")
    (project / "models" / "_m.yml").write_text("models: []")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "SHAPING", [project / "models"])
    before = fingerprint(loaded_config)
    (project / "models" / "_m.yml").write_text("models: [{name: m, description: edited}]")
    assert fingerprint(loaded_config) == before
    (project / "models" / "m.sql").write_text("select 2")
    assert fingerprint(loaded_config) != before

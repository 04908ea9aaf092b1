"""Column-level lineage (lineage/columns/): every mart column traced to source fields.

Two groups: a small hand-written manifest that pins the rules (JSON paths through unnests and
ephemeral models, empty raw readers, declared Python hops, row counts, constants), and the
real pipeline's manifest (the `published_world` run) swept column by column.
"""

from __future__ import annotations

import json

import pytest

from lineage.columns import (
    DECLARED_NOTE,
    LineageError,
    column_lineage,
    constants,
    load_manifest,
    mart_columns,
    render_text,
    source_fields,
    to_json,
    unresolved,
    value_origin,
)

# -- a small manifest ----------------------------------------------------------------------------

_SRC_PAGES = """-- depends_on: "db"."raw"."pages"
select body, filename
from (select * from read_json('/h/raw/pages/*.json', format = 'auto',
                              columns = {'body': 'JSON', 'kind': 'VARCHAR'}, filename = true))"""

_SRC_OTHER = """-- depends_on: "db"."raw"."other"
select body from (
    -- no file matches /h/raw/other/*.json: an empty relation of the same shape
    select cast(null as JSON) as "body", cast(null as varchar) as filename
    where 1 = 0
)"""

_STG_ITEMS = """with items as (
    select unnest(json_extract(pages.body, '$.items[*]')) as item
    from __dbt__cte__src_pages as pages
)
select
    json_extract_string(item, '$.id') as item_id,
    'web' as channel,
    try_cast(json_extract_string(item, '$.stats.likes') as bigint) as likes
from items"""


def _model(name: str, sql: str, *, schema: str = "staging", ctes: tuple[str, ...] = (),
           depends: tuple[str, ...] = (), materialized: str = "table") -> dict:
    """A manifest model node whose compiled code has its ephemeral CTEs injected as dbt does."""
    injected = [{"id": f"model.t.{c}", "sql": f" __dbt__cte__{c} as (\n{_EPHEMERAL[c]}\n)"} for c in ctes]
    code = sql
    if injected:
        block = ", ".join(c["sql"] for c in injected)
        code = f"with {block}, {sql[5:]}" if sql.startswith("with ") else f"with {block} {sql}"
    return {
        "resource_type": "model", "name": name, "language": "sql", "schema": schema,
        "config": {"materialized": materialized, "schema": schema, "meta": {}},
        "relation_name": None if materialized == "ephemeral" else f'"db"."{schema}"."{name}"',
        "compiled_code": code, "extra_ctes": injected,
        "depends_on": {"nodes": [f"model.t.{c}" for c in ctes] + list(depends)}, "columns": {},
    }


_EPHEMERAL = {"src_pages": _SRC_PAGES, "src_other": _SRC_OTHER}


def _source(name: str) -> dict:
    return {"resource_type": "source", "source_name": "raw", "name": name,
            "relation_name": f'"db"."raw"."{name}"', "config": {"meta": {"location": f"{name}/*.json"}}}


def _small_manifest() -> dict:
    python = {
        "resource_type": "model", "name": "int_scores", "language": "python", "schema": "intermediate",
        "relation_name": '"db"."intermediate"."int_scores"', "original_file_path": "models/int_scores.py",
        "compiled_code": "def model(dbt, session): ...",
        "config": {"materialized": "table", "schema": "intermediate", "meta": {"column_lineage": {
            "item_id": {"from": ["stg_items.item_id"], "transformation": "IDENTITY"},
            "score": {"from": ["stg_items.likes"]},
            "scored_by": {"from": ["stg_other.body"]},  # not a dbt.ref() of the model
        }}},
        "depends_on": {"nodes": ["model.t.stg_items"]},
        "columns": {c: {"name": c} for c in ("item_id", "score", "scored_by", "version")},
    }
    nodes = {
        "model.t.src_pages": _model("src_pages", _SRC_PAGES, materialized="ephemeral",
                                    depends=("source.t.raw.pages",)),
        "model.t.src_other": _model("src_other", _SRC_OTHER, materialized="ephemeral",
                                    depends=("source.t.raw.other",)),
        "model.t.stg_items": _model("stg_items", _STG_ITEMS, ctes=("src_pages",)),
        "model.t.stg_other": _model("stg_other", "select body from __dbt__cte__src_other",
                                    ctes=("src_other",)),
        "model.t.int_scores": python,
        "model.t.fct_items": _model("fct_items", """
            select s.item_id, s.channel, s.likes, sc.score, sc.version, sc.scored_by
            from "db"."staging"."stg_items" as s
            left join "db"."intermediate"."int_scores" as sc on sc.item_id = s.item_id""", schema="marts"),
        "model.t.fct_counts": _model("fct_counts", """
            select channel, count(*) as items from "db"."staging"."stg_items" group by channel""",
                                     schema="marts"),
        "test.t.unique_stg_items_item_id": {
            "resource_type": "test", "attached_node": "model.t.stg_items",
            "test_metadata": {"name": "unique", "kwargs": {"column_name": "item_id"}}},
    }
    return {"nodes": nodes, "sources": {"source.t.raw.pages": _source("pages"),
                                        "source.t.raw.other": _source("other")}}


def _fields(lineage, *, direct_only: bool = False) -> set[str]:
    return {str(f) for f in source_fields(lineage, direct_only=direct_only)}


def test_json_path_composes_through_unnest_and_ephemeral_reader():
    lineage = column_lineage(_small_manifest(), "fct_items.likes")
    assert _fields(lineage) == {"source.t.raw.pages:body.items[*].stats.likes"}
    assert value_origin(lineage) == "field"


def test_empty_raw_reader_still_names_its_source():
    # no raw file yet: the reader compiles to a typed empty relation, which is still the source
    lineage = column_lineage(_small_manifest(), "stg_other.body")
    assert _fields(lineage) == {"source.t.raw.other:body"}


def test_python_hop_is_declared_and_checked_against_its_refs():
    manifest = _small_manifest()
    score = column_lineage(manifest, "fct_items.score")
    assert _fields(score, direct_only=True) == {"source.t.raw.pages:body.items[*].stats.likes"}
    python = [node for node, _ in score.walk() if node.kind == "python"]
    assert python and python[0].note == DECLARED_NOTE
    assert "(declared)" in render_text(score) and "not parsed" in render_text(score)
    undeclared = unresolved(column_lineage(manifest, "fct_items.version"))
    assert any("no config.meta.column_lineage entry for 'version'" in u.note for u in undeclared)
    not_a_ref = unresolved(column_lineage(manifest, "fct_items.scored_by"))
    assert any("'stg_other.body' is not a dbt.ref() of int_scores" in u.note for u in not_a_ref)


def test_row_count_depends_on_the_counted_models_grain():
    lineage = column_lineage(_small_manifest(), "fct_counts.items")
    assert value_origin(lineage) == "rows"
    assert _fields(lineage, direct_only=True) == set()
    assert "source.t.raw.pages:body.items[*].id" in _fields(lineage)  # stg_items' unique key


def test_hard_coded_label_is_a_constant_not_a_field():
    lineage = column_lineage(_small_manifest(), "fct_items.channel")
    assert value_origin(lineage) == "constant"
    assert [c.expression for c in constants(lineage)] == ["'web'"]
    assert _fields(lineage, direct_only=True) == set()


def test_unknown_targets_raise_errors_that_name_them():
    manifest = _small_manifest()
    with pytest.raises(LineageError, match=r"unknown model 'fct_nope'.*fct_counts, fct_items"):
        column_lineage(manifest, "fct_nope.items")
    with pytest.raises(LineageError, match=r"unknown column 'nope' in 'fct_items\.nope'.*item_id"):
        column_lineage(manifest, "fct_items.nope")
    with pytest.raises(LineageError, match=r"expected <model>\.<column>"):
        column_lineage(manifest, "fct_items")


def test_manifest_without_compiled_sql_is_refused(tmp_path):
    parsed_only = tmp_path / "manifest.json"
    parsed_only.write_text(json.dumps({"nodes": {"model.t.a": {"resource_type": "model"}}}))
    with pytest.raises(LineageError, match="no compiled SQL"):
        load_manifest(parsed_only)


# -- the real pipeline's manifest ----------------------------------------------------------------

# Mart columns whose lineage reaches no source field at all, and why. Keep this short: a column
# lands here only when its values are written into the SQL.
CONSTANT_COLUMNS = {
    "dim_platforms.platform": "dim_platforms is a hard-coded dimension (platforms CarePulse reads)",
    "dim_platforms.platform_name": "dim_platforms is a hard-coded dimension",
    "dim_platforms.reports_views": "dim_platforms is a hard-coded dimension",
    "dim_platforms.engagement_formula": "dim_platforms is a hard-coded dimension",
    "dim_platforms.platform_order": "dim_platforms is a hard-coded dimension",
    "dim_platforms.is_unknown": "dim_platforms is a hard-coded dimension",
    "fct_campaign_performance_daily.platform": "the grid's platform list is dim_platforms' rows",
    "fct_data_health_nightly.platform": "the grid's platform list is dim_platforms' rows",
    "fct_sentiment_alerts_daily.platform": "dim_platforms' rows plus the literal 'all'",
    "fct_mention_aspects.taxonomy_version": "the taxonomy seeds' sha256, from code (int_text_aspects)",
}


@pytest.fixture(scope="module")
def manifest(published_world) -> dict:
    return load_manifest(published_world["audit"] / "dbt_manifest.json")


@pytest.fixture(scope="module")
def sweep(manifest) -> dict:
    """The lineage of every column of every mart (one parse per model, cached)."""
    return {f"{mart}.{column}": column_lineage(manifest, f"{mart}.{column}")
            for mart, columns in mart_columns(manifest).items() for column in columns}


def test_every_mart_column_resolves_to_a_source_field(sweep):
    missing = [t for t, lineage in sweep.items() if not source_fields(lineage) and t not in CONSTANT_COLUMNS]
    assert not missing, f"no source field (a literal? list it in CONSTANT_COLUMNS): {missing}"
    for target in CONSTANT_COLUMNS:
        lineage = sweep[target]  # a KeyError means the list names a column that no longer exists
        assert not source_fields(lineage) and value_origin(lineage) == "constant", target
    broken = {t: [u.note for u in unresolved(lineage)] for t, lineage in sweep.items() if unresolved(lineage)}
    assert not broken


def test_sweep_covers_every_published_mart_and_documented_column(manifest, sweep):
    marts = mart_columns(manifest)
    assert {"fct_mentions", "fct_share_of_voice_daily", "fct_post_engagement_daily",
            "fct_campaign_performance_daily", "dim_brands", "dim_platforms", "dim_authors",
            "dim_campaigns", "dim_dates"} <= set(marts)
    for uid, node in manifest["nodes"].items():
        if node.get("config", {}).get("schema") == "marts" and node.get("resource_type") == "model":
            assert set(node["columns"]) <= set(marts[node["name"]]), uid


def test_columns_read_from_sql_match_the_published_tables(published_world, manifest):
    # `select *` expansion and every projection, checked against what dbt actually built
    import duckdb

    published = published_world["home"] / "warehouse" / "carepulse.duckdb"
    with duckdb.connect(str(published), read_only=True) as db:
        rows = db.execute("select table_name, column_name from information_schema.columns "
                          "where table_schema = 'marts' order by table_name, ordinal_position").fetchall()
    built: dict[str, list[str]] = {}
    for table, column in rows:
        built.setdefault(table, []).append(column)
    assert mart_columns(manifest) == built


def test_share_of_voice_reaches_post_ids_and_brand_config(sweep):
    lineage = sweep["fct_share_of_voice_daily.mention_sov"]
    assert value_origin(lineage) == "rows"  # a ratio of mention counts
    fields = _fields(lineage)
    for platform_id in ("x_pages:body.data[*].id", "bluesky_pages:body.posts[*].uri",
                        "reddit_pages:body.data.children[*].data.name", "youtube_pages:body.items[*].id"):
        assert f"source.carepulse.raw_zone.{platform_id}" in fields
    assert "source.carepulse.carepulse_config.config_json:config.organisation.id" in fields
    assert "source.carepulse.carepulse_config.config_json:config.panel.competitors[*].id" in fields


def test_adjusted_compound_reaches_post_text_through_the_declared_python_hop(sweep):
    lineage = sweep["fct_mentions.adjusted_compound"]
    direct = _fields(lineage, direct_only=True)
    assert "source.carepulse.raw_zone.x_pages:body.data[*].text" in direct
    assert "source.carepulse.raw_zone.mastodon_pages:body.statuses[*].content" in direct
    hops = [node for node, _ in lineage.walk() if node.kind == "python"]
    assert {(n.name, n.note) for n in hops} == {("int_sentiment_scores", DECLARED_NOTE)}
    assert "adjusted_compound" in {n.column for n in hops}


def test_native_metrics_keep_their_json_paths(sweep):
    assert _fields(sweep["fct_post_engagement_daily.likes"], direct_only=True) == {
        "source.carepulse.raw_zone.youtube_pages:body.items[*].statistics.likeCount",
        "source.carepulse.raw_zone.reddit_pages:body.data.children[*].data.score",
        "source.carepulse.raw_zone.mastodon_pages:body.statuses[*].favourites_count",
        "source.carepulse.raw_zone.mastodon_pages:body[*].favourites_count",
        "source.carepulse.raw_zone.bluesky_pages:body.posts[*].likeCount",
        "source.carepulse.raw_zone.x_pages:body.data[*].public_metrics.like_count",
        # Facebook likes are its reactions (every kind); Instagram's likes, where not hidden
        "source.carepulse.raw_zone.facebook_pages:body.data[*].reactions.summary.total_count",
        "source.carepulse.raw_zone.instagram_pages:body.data[*].like_count",
    }


def test_platform_label_is_reported_as_a_constant(sweep):
    lineage = sweep["fct_mentions.platform"]
    assert value_origin(lineage) == "constant"
    assert not source_fields(lineage, direct_only=True)
    assert "'x'" in {c.expression for c in constants(lineage)}
    assert "source.carepulse.raw_zone.x_pages:body.data[*].id" in _fields(lineage)  # the rows it labels


def test_seed_columns_are_leaves(sweep):
    assert "seed.carepulse.source_credibility:credibility" in _fields(
        sweep["fct_misinformation_watch.low_credibility_domains"])


def test_unknown_mart_column_names_it(manifest):
    with pytest.raises(LineageError, match=r"unknown column 'no_such_column' in 'fct_mentions\.no_"):
        column_lineage(manifest, "fct_mentions.no_such_column")
    with pytest.raises(LineageError, match="unknown model 'fct_no_such_mart'"):
        column_lineage(manifest, "fct_no_such_mart.mentions")


def test_text_and_json_renderings(sweep):
    lineage = sweep["fct_share_of_voice_daily.mention_sov"]
    text = render_text(lineage)
    assert text.splitlines()[1].startswith("fct_share_of_voice_daily.mention_sov = ")
    assert "x_pages: body $.data[*].id" in text
    doc = json.loads(json.dumps(to_json(lineage)))
    assert doc["root"] in doc["nodes"] and doc["target"] == "fct_share_of_voice_daily.mention_sov"
    assert {e["to"] for e in doc["edges"]} <= set(doc["nodes"])
    assert {"kind": "source", "node_id": "source.carepulse.raw_zone.x_pages", "column": "body",
            "path": "$.data[*].id", "field": "body.data[*].id"} in doc["source_fields"]

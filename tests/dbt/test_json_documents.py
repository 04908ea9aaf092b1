"""JSON documents (macros/adapters/json.sql): fields read in one parse equal fields read one by
one, and a path first read after the FROM fails to compile, named."""

from __future__ import annotations

from pathlib import Path

from tests.dbt.conftest import DBT_DIR, dbt_env

ITEMS = """
with items as (
    select * from (values
        ('{"id": "a1", "n": "42", "f": 1.5, "ok": true, "deep": {"x": "&amp;"}}'::json, 1),
        ('{"id": "b2", "n": 7, "ok": "nope"}'::json, 2),
        ('{"other": 1}'::json, 3)
    ) as t(item, position)
)
"""

# each reader, given the JSON column by name ('item') or as a document (item)
READERS = ["json_str({0}, '$.id')", "json_int({0}, '$.n')", "json_float({0}, '$.f')",
           "json_bool({0}, '$.ok')", "json_str({0}, '$.deep.x')", "json_str({0}, '$.missing')"]


def _columns(item: str) -> str:
    return ", ".join(f"{{{{ {reader.format(item)} }}}} as c{i}" for i, reader in enumerate(READERS))


def _invoke(home: Path, command: str, sql: str):
    from dbt.cli.main import dbtRunner

    args = [command, "--inline", sql, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
            "--target-path", str(home / "dbt_target"), "--log-path", str(home / "dbt_logs"), "--quiet"]
    if command == "show":
        args += ["--limit", "10"]
    (home / "warehouse").mkdir(parents=True, exist_ok=True)
    with dbt_env(home):
        return dbtRunner().invoke(args)


def _rows(home: Path, sql: str) -> list[tuple]:
    res = _invoke(home, "show", sql)
    assert res.success, res.exception
    return sorted(tuple(row) for row in res.result.results[0].agate_table.rows)


def test_fields_read_in_one_parse_equal_fields_read_one_by_one(tmp_path):
    expected = _rows(tmp_path, ITEMS + f"select position, {_columns(repr('item'))} from items")
    got = _rows(tmp_path, "{% set item = json_document('item', ['$.ok']) %}" + ITEMS
                + f"select position, {_columns('item')} from {{{{ with_json_fields('items', [item]) }}}}"
                + " where {{ json_str(item, '$.ok') }} is not null or position = 3")
    assert expected == got and len(got) == 3
    assert got[0][1:3] == ("a1", 42)


def test_a_path_first_read_after_the_from_is_a_compile_error_naming_it(tmp_path, capsys):
    sql = ("{% set item = json_document('item') %}" + ITEMS
           + "select {{ json_str(item, '$.id') }} as id from {{ with_json_fields('items', [item]) }}"
           + " where {{ json_str(item, '$.late') }} is null")
    res = _invoke(tmp_path, "compile", sql)
    assert not res.success
    assert ("json path $.late of document item is read after its fields were extracted; "
            "declare it: json_document('item', ['$.late'])") in capsys.readouterr().out

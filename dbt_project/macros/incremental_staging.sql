{#- Incremental staging: each build merges the copies in its batch (macros/batch.sql) into
    what earlier builds kept, so that the result equals a build over all history.

    Which copy of an item is kept is decided by latest_first(); `seen()` packs those columns
    into one comparable value (both engines compare structs field by field), so a stored row
    and a batch row compare the way the full-history ranking would order them. A batch copy
    replaces a stored one only when it is later: a backfilled older night never overwrites a
    newer snapshot, whatever order the nights arrive in. -#}
{% macro seen(alias=none) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {{ named_struct([('snapshot_date', p ~ 'snapshot_date'), ('run_started_at', p ~ '_run_started_at'),
                     ('extracted_at', p ~ '_extracted_at'), ('source_file', p ~ '_source_file'),
                     ('item', '-' ~ p ~ '_item_index')]) }}
{%- endmacro %}

{#- A struct value from (name, expression) pairs. -#}
{% macro named_struct(fields) -%}
    {{- adapter.dispatch('named_struct', 'carepulse')(fields) -}}
{%- endmacro %}
{% macro duckdb__named_struct(fields) -%}
    { {%- for name, expr in fields %}{{ sql_string(name) }}: {{ expr }}{{ ', ' if not loop.last }}{% endfor -%} }
{%- endmacro %}
{% macro spark__named_struct(fields) -%}
    named_struct({%- for name, expr in fields %}{{ sql_string(name) }}, {{ expr }}{{ ', ' if not loop.last }}{% endfor -%})
{%- endmacro %}

{#- A joined row as one struct value (`select {{ row_struct('t') }} as t`): DuckDB names the
    table, Spark packs its columns (a missing outer-joined row has NULL fields there). -#}
{% macro row_struct(alias) -%}
    {{- adapter.dispatch('row_struct', 'carepulse')(alias) -}}
{%- endmacro %}
{% macro duckdb__row_struct(alias) -%}
    {{ alias }}
{%- endmacro %}
{% macro spark__row_struct(alias) -%}
    struct({{ alias }}.*)
{%- endmacro %}


{#- The columns an incremental staging row carries beyond the lineage: what seen() needs, and
    the build that wrote the row (what downstream models and tests of this build read). -#}
{% macro batch_columns(alias=none) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {{ p }}_run_started_at,
    {{ p }}_item_index,
    {{ sql_string(build_id()) }} as _loaded_in_build
{%- endmacro %}


{#- The staging relation `name` as built by earlier builds, or none before the first one
    (read without ref(): the model that reads it is built before it in this build). -#}
{% macro earlier_relation(name) -%}
    {%- if not execute -%}{{- return(none) -}}{%- endif -%}
    {{- return(adapter.get_relation(database=this.database, schema=this.schema, identifier=name)) -}}
{%- endmacro %}


{#- The columns of `relation` by name, in its order, `replacements` ({column: expression})
    in place of some: Spark has no `* replace (...)`, and unions match columns by position
    (Spark stores a table's partition columns last). -#}
{% macro star_replace(relation, alias=none, replacements={}) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {%- for column in adapter.get_columns_in_relation(relation) %}
        {%- set name = column.name %}
        {{ replacements[name] if name in replacements else p ~ adapter.quote(name) }} as {{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The body of an incremental post-like staging model (one row per item, its latest copy).

    Called after the model's last CTE, `loaded`: a CTE of the batch's latest copies that passed the privacy screen, with the
    model's final columns. Kept from it: the copies later than the stored row of the same key
    and than any copy of it held back by the privacy screen (stg_quarantine). Stored rows of
    authors this build re-decided (stg_<platform>__authors rows of this build) get that
    author's current identity: who is public is decided by the newest profile, so an account
    that turned private is pseudonymised in its earlier posts too. The text itself stays as
    redacted when loaded (see DECISIONLOG.md, "Incremental staging"). A source without author
    profiles (reviews) passes authors=none. -#}
{% macro merge_latest(loaded, key, platform, entity, authors=none) -%}
{%- if is_incremental() %}
{%- set quarantine = earlier_relation('stg_quarantine') %},

winners as (
    select loaded.*
    from {{ loaded }} as loaded
    where not exists (
        select 1 from {{ this }} as stored
        where stored.{{ key }} = loaded.{{ key }} and {{ seen('stored') }} > {{ seen('loaded') }}
    )
    {%- if quarantine is not none %}
    and not exists (
        select 1 from {{ quarantine }} as held
        where held.platform = '{{ platform }}' and held.entity = '{{ entity }}'
            and held.natural_key = loaded.{{ key }} and {{ seen('held') }} > {{ seen('loaded') }}
    )
    {%- endif %}
){%- if authors is not none %},

reidentified as (
    select
        {{ star_replace(this, 'stored', {
            'author_id': 'changed.author_id',
            'author_handle': 'changed.author_handle',
            'author_is_public': 'coalesce(changed.author_is_public, false)',
            '_loaded_in_build': sql_string(build_id())}) }}
    from {{ this }} as stored
    inner join {{ authors }} as changed
        on changed.author_key = stored.author_key and {{ in_batch('changed._loaded_in_build') }}
    where stored.{{ key }} not in (select {{ key }} from winners)
        and (stored.author_id is distinct from changed.author_id
             or stored.author_handle is distinct from changed.author_handle
             or stored.author_is_public is distinct from coalesce(changed.author_is_public, false))
)
{%- endif %}

select {{ star_replace(this) }} from winners
{%- if authors is not none %}
union all
select {{ star_replace(this) }} from reidentified
{%- endif %}
{%- else %}

select * from {{ loaded }}
{%- endif %}
{%- endmacro %}


{#- The filter of an incremental snapshot model (one row per item per snapshot night, the
    night's latest run): a batch copy is kept unless a stored copy of the same night is later. -#}
{% macro later_than_stored(alias, keys) -%}
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as stored
        where {% for key in keys %}stored.{{ key }} = {{ alias }}.{{ key }} and {% endfor -%}
            {{ seen('stored') }} > {{ seen(alias) }}
    )
    {%- endif %}
{%- endmacro %}


{#- stg_quarantine's post hook: the later of a loaded and a held-back copy wins, whichever
    build brought each (rendered when the hook runs, so it names this build). -#}
{% macro quarantine_cleanup() -%}
    {%- for platform, entity, base, staged, key in source_entities() %}
    {#- a held-back copy of this build is later than the loaded copy of an earlier build -#}
    {{ delete_where(ref(staged), key ~ " in (
        select natural_key from " ~ this ~ "
        where platform = '" ~ platform ~ "' and entity = '" ~ entity ~ "' and " ~ in_batch() ~ "
    )") }}
    {#- a loaded copy of this build is later than the held-back copy of an earlier build -#}
    {{ delete_where(this, "platform = '" ~ platform ~ "' and entity = '" ~ entity ~ "' and not " ~ in_batch() ~ "
        and natural_key in (select " ~ key ~ " from " ~ ref(staged) ~ " where " ~ in_batch() ~ ")") }}
    {%- endfor %}
    {%- for platform in source_names('social') %}
    {#- a profile of this build that passes the screen replaces a held-back one -#}
    {{ delete_where(this, "platform = '" ~ platform ~ "' and entity = 'author_profile' and not " ~ in_batch() ~ "
        and natural_key in (
            select author_key from " ~ ref('stg_' ~ platform ~ '__authors') ~ "
            where " ~ in_batch() ~ " and not profile_quarantined
        )") }}
    {%- endfor %}
{%- endmacro %}


{#- Deletes the rows of `relation` where `condition` holds. DuckDB: a DELETE statement (this
    renders it, `;`-terminated, for a hook). Spark's parquet tables have no DELETE: when some
    row matches, the table is rewritten without them through a work table (Spark cannot
    overwrite a table in the statement that reads it), here, and nothing is rendered. Only
    for tables without partitions (a partition left empty would not be overwritten). -#}
{% macro delete_where(relation, condition) -%}
    {{- adapter.dispatch('delete_where', 'carepulse')(relation, condition) -}}
{%- endmacro %}
{% macro duckdb__delete_where(relation, condition) -%}
    delete from {{ relation }} where {{ condition }};
{%- endmacro %}
{% macro spark__delete_where(relation, condition) -%}
    {%- if execute -%}
        {%- set found = run_query('select count(*) from ' ~ relation ~ ' where ' ~ condition).columns[0].values()[0] -%}
        {%- if found > 0 -%}
            {%- set kept = relation.incorporate(path={"identifier": relation.identifier ~ '__dbt_tmp_kept'}) -%}
            {%- do run_query('drop table if exists ' ~ kept) -%}
            {%- do run_query('create table ' ~ kept ~ ' using parquet as select * from ' ~ relation
                             ~ ' where not coalesce(' ~ condition ~ ', false)') -%}
            {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ kept) -%}
            {%- do run_query('drop table if exists ' ~ kept) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The follower count each author had in each extraction run, from the profiles that run
    fetched (Bluesky getProfiles, YouTube channels, Reddit /about of the config accounts): a
    post carries its author's count from the run that captured it, never a later one. A
    profile seen again then rewrites no older post (a night's cost would grow with every post
    the author ever wrote), and the figure is the same whether the run was loaded alone or in
    a full refresh. -#}
{% macro followers_in_run(observations) -%}
    select native_author_id, _run_id, max(followers_count) as followers_count
    from {{ ref(observations) }}
    where followers_count is not null
    group by native_author_id, _run_id
{%- endmacro %}


{#- partition_by of a delete+insert model whose unique key determines `column` (a snapshot's
    night): on Spark a build then rewrites only the partitions its rows fall in
    (macros/adapters/spark_incremental.sql); DuckDB tables are not partitioned. -#}
{% macro partition_on(column) -%}
    {{- return(adapter.dispatch('partition_on', 'carepulse')(column)) -}}
{%- endmacro %}
{% macro default__partition_on(column) -%}
    {{- return(none) -}}
{%- endmacro %}
{% macro spark__partition_on(column) -%}
    {{- return(column) -}}
{%- endmacro %}

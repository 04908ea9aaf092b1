{#- The build's batch: what one build loads, so that a night's cost depends on that night's data.

    stg_raw__loaded_manifests records every finished manifest a build has loaded, with the
    build that loaded it (_loaded_in_build). A build reads only the manifests it adds there and
    only the page files those manifests list: no page is parsed again by a later build. A full
    refresh (an empty warehouse, or `dbt build --full-refresh`, which rebuilds the ledger too)
    makes every manifest part of the batch: history is reprocessed from the raw zone.

    build_id: one value for every dbt invocation of one build. A plain `dbt build` is one
    invocation; the DAG's Cosmos tasks are one invocation each and pass the Airflow run id as
    var build_id so that they all see the same batch. -#}
{% macro build_id() -%}
    {{- return(var('build_id', invocation_id) | string) -}}
{%- endmacro %}


{#- Rows stamped by this build (the column every incremental model carries). -#}
{% macro in_batch(column='_loaded_in_build') -%}
    {{ column }} = {{ sql_string(build_id()) }}
{%- endmacro %}


{#- Finished manifests under the raw root that the ledger does not hold yet, as paths relative
    to the raw root (a listing of file names: no manifest is read to find them). -#}
{% macro new_manifest_paths(ledger) -%}
    {%- if not execute -%}{{- return([]) -}}{%- endif -%}
    {%- set listed -%}
        select {{ manifest_path('file') }} as path
        from {{ files_matching(raw_root() ~ '/manifests/date=*/run=*/manifest.json') }}
    {%- endset -%}
    {%- set query -%}
        select path from ({{ listed }}) as listed
        {%- if ledger is not none %}
        where path not in (select manifest_path from {{ ledger }})
        {%- endif %}
        order by path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}


{#- A manifest's path relative to the raw root, from a file name. -#}
{% macro manifest_path(filename) -%}
    regexp_extract({{ filename }}, {{ regex_literal('(manifests/date=[^/]+/run=[^/]+/manifest\.json)$') }}, 1)
{%- endmacro %}


{#- The files a glob pattern matches, as a relation with a column `file` (names only: no file
    is read; none may match). Spark's binaryFile source reads no content unless it is
    selected (names starting with `_` or `.` it never shows: those are listed through the local
    file system, spark_functions.local_files), but fails on a pattern that matches nothing: the config JSON (which always
    exists) is matched too, as another alternative of the same glob, and left out. -#}
{% macro files_matching(pattern) -%}
    {{- adapter.dispatch('files_matching', 'carepulse')(pattern) -}}
{%- endmacro %}
{% macro duckdb__files_matching(pattern) -%}
    glob({{ sql_string(pattern) }})
{%- endmacro %}
{% macro spark__files_matching(pattern) -%}
    {%- if hidden_to_spark([pattern]) -%}
    (select explode(local_files({{ sql_string(pattern) }})) as file) as matched
    {%- else -%}
    {%- set sentinel = var('config_json') | string -%}
    (
        select path as file
        from binaryFile.`{{ spark_file_glob([pattern, sentinel], patterns=true) }}`
        where not endswith(path, {{ sql_string('/' ~ sentinel.split('/')[-1]) }})
    ) as matched
    {%- endif -%}
{%- endmacro %}


{#- Paths (relative to the raw root) of the manifests this build loaded, from the ledger. -#}
{% macro batch_manifest_paths() -%}
    {%- if not execute -%}{{- return([]) -}}{%- endif -%}
    {%- set query -%}
        select manifest_path from {{ ref('stg_raw__loaded_manifests') }}
        where {{ in_batch() }} order by manifest_path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}


{#- Page files of one platform listed by the manifests this build loaded. -#}
{% macro batch_page_paths(platform) -%}
    {%- if not execute -%}{{- return([]) -}}{%- endif -%}
    {%- set query -%}
        select path from {{ ref('stg_raw__manifest_files') }}
        where {{ in_batch() }} and platform = {{ sql_string(platform) }} and kind = 'page'
        order by path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}


{#- Keys of the posts and comments whose unified row this build rewrote or removed: what the
    post-keyed models downstream of int_posts_unified recompute. -#}
{% macro unified_changes(snapshots=false) -%}
    select post_key from {{ ref('int_posts_unified') }} where {{ in_batch() }}
    union
    select natural_key from {{ ref('stg_quarantine') }} where {{ in_batch() }} and entity <> 'author_profile'
    {%- if snapshots %}
    {%- for platform in source_names('social') %}
    union
    -- a backfilled older snapshot changes no latest copy, but the deltas around it
    select post_key from {{ ref('stg_' ~ platform ~ '__post_snapshots') }} where {{ in_batch() }}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}


{#- Pre-hook of a post-keyed incremental model: drop the rows of the posts this build changed
    (a post that no longer names a brand loses its row); the model then appends their rows. -#}
{% macro forget_changed_posts(snapshots=false) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where post_key in ({{ unified_changes(snapshots) }})
    {%- endif -%}
{%- endmacro %}


{#- Post hook of int_posts_unified: posts the privacy screen held back in this build leave. -#}
{% macro forget_held_back_posts() -%}
    delete from {{ this }}
    where post_key in (
        select natural_key from {{ ref('stg_quarantine') }} where {{ in_batch() }} and entity <> 'author_profile'
    )
{%- endmacro %}


{#- In int_posts_unified's incremental builds, the staged rows to rewrite: those this build
    staged (read by their stamp: older row groups are skipped unread) and those of the posts in
    its `author_changes` CTE (usually none: DuckDB then skips the second scan). -#}
{% macro changed_rows(staged, key) -%}
    {%- if is_incremental() -%}
    (
        select * from {{ staged }} where {{ in_batch() }}
        union all
        select * from {{ staged }}
        where not {{ in_batch() }} and {{ key }} in (select post_key from author_changes)
    )
    {%- else -%}
    {{ staged }}
    {%- endif -%}
{%- endmacro %}


{#- In a post-keyed incremental model downstream of int_posts_unified: only changed posts.
    Reading int_posts_unified (or a post-keyed model it feeds), these are the rows this build
    stamped: the held-back posts have left it, every other changed post was rewritten. A filter
    on the stamp skips every older row group unread (DuckDB's min/max statistics), where a
    join on post_key would read the wide columns of all history. Reading snapshot tables
    (snapshots=true): the keys themselves, as backfilled snapshots rewrite no unified row. -#}
{% macro changed_posts_only(column='post_key', snapshots=false, keyword='where') -%}
    {%- if is_incremental() -%}
    {%- if snapshots %}
    {{ keyword }} {{ column }} in ({{ unified_changes(snapshots) }})
    {%- else %}
    {{ keyword }} {{ in_batch() }}
    {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- fct_mentions: the posts whose screening verdict this build changed though their unified row
    is older (a copy-paste burst that grew across midnight, a backfilled night). -#}
{% macro rescreened_posts() -%}
    select post_key from {{ ref('int_post_screening') }} where {{ in_batch() }}
{%- endmacro %}

{% macro or_rescreened(column='post_key') -%}
    {%- if is_incremental() %}
    or {{ column }} in ({{ rescreened_posts() }})
    {%- endif -%}
{%- endmacro %}

{% macro forget_rescreened_posts() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where post_key in ({{ rescreened_posts() }})
    {%- endif -%}
{%- endmacro %}


{#- Date-keyed marts: a build rewrites the dates in int_build_dates (their rows are dropped
    first, so a date that lost every row loses its rows too). -#}
{% macro forget_build_dates(column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ column }} in (select activity_date from {{ ref('int_build_dates') }})
    {%- endif -%}
{%- endmacro %}

{% macro build_dates_only(column, keyword='where') -%}
    {%- if is_incremental() -%}
    {{ keyword }} {{ column }} in (select activity_date from {{ ref('int_build_dates') }})
    {%- endif -%}
{%- endmacro %}


{#- fct_influencer_mentions_daily: an author can be named there (public, not a brand account). -#}
{% macro influencer_eligible() -%}
    is_public and account_brand_id is null and not is_unknown
{%- endmacro %}

{#- Its rows a build drops: the dates in int_build_dates, and every day of the authors this
    build changed who can no longer be named (their profile went private or joined a brand). -#}
{% macro forget_influencer_days() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where mention_date in (select activity_date from {{ ref('int_build_dates') }})
        or author_key in (
            select author_key from {{ ref('dim_authors') }}
            where {{ in_batch() }} and not ({{ influencer_eligible() }})
        )
    {%- endif -%}
{%- endmacro %}

{#- The mentions it reads: those of the dates in int_build_dates, and every mention of the
    authors this build changed who can be named and have no row left (named for the first
    time, or again): a follower count that moved rewrites no day, as the rows hold no
    profile attributes (those are dim_authors'). -#}
{% macro influencer_mentions_read() -%}
    mention_date in (select activity_date from {{ ref('int_build_dates') }})
        or author_key in (
            select changed.author_key from {{ ref('dim_authors') }} as changed
            where {{ in_batch('changed._loaded_in_build') }} and {{ influencer_eligible() }}
                and not exists (select 1 from {{ this }} as stored where stored.author_key = changed.author_key)
        )
{%- endmacro %}


{#- In a window mart's incremental build: only the days of its `days_cte`. -#}
{% macro build_days_only(column, days_cte, keyword='and') -%}
    {%- if is_incremental() -%}
    {{ keyword }} {{ column }} in (select date_day from {{ days_cte }})
    {%- endif -%}
{%- endmacro %}


{#- The days a trailing-window mart rewrites: each day of int_build_dates and the `days_setting`
    days after it (whose baseline window holds it). When this build loaded a night earlier
    than every night before it, the days after the old first night too: baselines are
    clipped to the nights extracted. -#}
{% macro days_after_build_dates(days_setting) -%}
    with settings as (select {{ days_setting }} as n from {{ ref('stg_config__settings') }}),
    earlier as (
        select min(night) as first_night from {{ ref('stg_raw__loaded_manifests') }} where not {{ in_batch() }}
    ),
    starts as (
        select activity_date from {{ ref('int_build_dates') }}
        union
        select first_night from earlier
        where first_night > (select min(night) from {{ ref('stg_raw__loaded_manifests') }} where {{ in_batch() }})
    )
    select distinct starts.activity_date + cast(step.k as integer) as date_day
    from starts
    cross join settings
    cross join range(0, 366) as step(k)
    where step.k <= settings.n
{%- endmacro %}


{#- Those days and the `days_setting` days before each: what their baselines read. -#}
{#- Pre hook of a trailing-window mart that stores only days with data: drop the days it rewrites. -#}
{% macro forget_days_after_build_dates(column, days_setting) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ column }} in ({{ days_after_build_dates(days_setting) }})
    {%- endif -%}
{%- endmacro %}


{% macro days_with_baselines(target_days, days_setting) -%}
    select distinct target.date_day - cast(step.k as integer) as date_day
    from {{ target_days }} as target
    cross join (select {{ days_setting }} as n from {{ ref('stg_config__settings') }}) as settings
    cross join range(0, 366) as step(k)
    where step.k <= settings.n
{%- endmacro %}


{#- fct_campaign_performance_daily's campaigns a build recomputes (all their days): those whose
    window or pre-period holds a date in int_build_dates (a window day's lift sums the days
    before it), and those whose window's days in dim_dates are not the days stored (the data
    range grew into the window). After the pre hook dropped the first kind, the second
    finds them again: the model reads the same set. -#}
{% macro campaigns_rebuilt() -%}
    select campaigns.campaign_id
    from {{ ref('dim_campaigns') }} as campaigns
    where not campaigns.is_unknown
        and (
            exists (
                select 1 from {{ ref('int_build_dates') }} as built
                where built.activity_date between campaigns.pre_window_start_date and campaigns.end_date
            )
            or (
                select count(*) from {{ ref('dim_dates') }} as dates
                where not dates.is_unknown and dates.date_day between campaigns.start_date and campaigns.end_date
            ) <> (
                select count(distinct stored.date_day) from {{ this }} as stored
                where stored.campaign_id = campaigns.campaign_id
            )
        )
{%- endmacro %}

{% macro forget_campaigns_rebuilt() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where campaign_id in ({{ campaigns_rebuilt() }})
    {%- endif -%}
{%- endmacro %}

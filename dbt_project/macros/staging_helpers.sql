{#- Shared rules of the staging layer. -#}

{#- The order that decides which copy of an item is kept. The same item arrives in several
    pages, shards and runs: the latest snapshot night first, then the latest extraction run
    of that night (reruns and continuations add runs), then the latest fetch, then the file
    path and the item's position in the page, so the choice is deterministic and never
    depends on file modification times. -#}
{% macro latest_first() -%}
    snapshot_date desc, _run_started_at desc, _extracted_at desc, _source_file desc, _item_index
{%- endmacro %}

{#- Same, within one snapshot night. -#}
{% macro latest_run_first() -%}
    _run_started_at desc, _extracted_at desc, _source_file desc, _item_index
{%- endmacro %}


{#- The lineage columns every staging row carries. -#}
{% macro lineage_columns(alias=none) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {{ p }}_source_file,
    {{ p }}_source_sha256,
    {{ p }}_source_line,
    {{ p }}_run_id,
    {{ p }}_extracted_at
{%- endmacro %}


{#- Text as loaded: identifiers replaced by typed placeholders ([PHONE], [EMAIL], [MRN],
    [DOB], [ADDRESS], [SSN]) by the privacy plugin's redact_phi(). -#}
{% macro redact(expr) -%}
    redact_phi({{ expr }})
{%- endmacro %}

{#- True when any of the texts still looks like it holds an identifier after redaction:
    such a record is quarantined (counted in stg_quarantine, never loaded). -#}
{% macro phi_left_after_redaction(exprs) -%}
    (
    {%- for e in exprs %}
        coalesce(phi_residue(redact_phi({{ e }})), false){{ ' or' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}


{#- The surrogate author key: platform + keyed pseudonym of the native account id, for every
    author, so the key is stable when an account turns public or private and never holds
    the native id of a private individual. -#}
{% macro author_key(platform, native_author_id) -%}
    case when {{ native_author_id }} is not null
         then '{{ platform }}:' || pseudonym('{{ platform }}', {{ native_author_id }}) end
{%- endmacro %}


{#- Public-account rule (docs/architecture.md, rule 6): verified, or followers at or above
    privacy.public_follower_threshold, or an account named in the config (organisation,
    competitor, tracked). Anything unknown counts as private. -#}
{% macro public_reason(config_role, verified, followers, threshold) -%}
    case
        when {{ config_role }} = 'organisation' then 'owned_account'
        when {{ config_role }} = 'competitor' then 'competitor_account'
        when {{ config_role }} = 'tracked' then 'tracked_account'
        when coalesce({{ verified }}, false) then 'verified'
        when {{ followers }} >= {{ threshold }} then 'followers'
    end
{%- endmacro %}


{#- A news article's language: a feed's code ('en-us') or GDELT's English name ('Spanish') as
    ISO 639-1; a GDELT language not listed here is unknown (NULL). -#}
{% macro news_language(expr) -%}
    {%- set names = {'english': 'en', 'spanish': 'es', 'french': 'fr', 'german': 'de',
                     'portuguese': 'pt', 'italian': 'it', 'chinese': 'zh', 'japanese': 'ja',
                     'korean': 'ko', 'russian': 'ru', 'arabic': 'ar', 'vietnamese': 'vi',
                     'tagalog': 'tl', 'hindi': 'hi', 'polish': 'pl', 'dutch': 'nl'} -%}
    case lower(trim({{ expr }}))
        {%- for name, code in names.items() %}
        when '{{ name }}' then '{{ code }}'
        {%- endfor %}
        else case when length(trim({{ expr }})) <= 3 or trim({{ expr }}) like '%-%'
                  then {{ normalize_lang(expr) }} end
    end
{%- endmacro %}


{#- Language codes as ISO 639-1 lower case ('en-US' -> 'en'); unknown ('und', '') -> NULL. -#}
{% macro normalize_lang(expr) -%}
    case
        when {{ expr }} is null or trim({{ expr }}) = '' or lower({{ expr }}) in ('und', 'zxx', 'qme', 'qht')
            then null
        else lower(split_part(replace(trim({{ expr }}), '_', '-'), '-', 1))
    end
{%- endmacro %}


{#- Mentioned accounts as they may be stored: an account of the config (the organisation's, a
    competitor's, a tracked one) keeps its lower-case handle; anyone else becomes
    pseudonym(platform, native id) when the platform gives the id (the same value as that
    person's author_handle when private), else pseudonym(platform, 'handle:' || handle).
    Whether another mentioned account is public is not asked: the answer changes with the
    nights seen (followers cross the threshold), and a text is redacted once, when its post is
    loaded, so only what the config says can decide it the same way whatever order the
    nights arrive in (DECISIONLOG.md, "Incremental staging"). `mention_rows` is a CTE of
    (post_key, handle, native_id, text_handle), text_handle being the handle as written in
    the text. One row per post comes back with mentioned_handles (the list) and
    private_mentions (text handle -> pseudonym pairs that mask_private_mentions() applies to
    the text, so a reply that greets a person by @handle does not name them). -#}
{% macro label_mentions(platform, mention_rows) -%}
    {%- set label -%}
        case when public_handles.handle_normalized is not null then public_handles.handle_normalized
             else pseudonym('{{ platform }}', coalesce(labelled.native_id, 'handle:' || {{ normalize_handle('labelled.handle') }})) end
    {%- endset -%}
    select
        labelled.post_key,
        {{ agg_sorted_list(label) }} as mentioned_handles,
        {{ agg_replacements('labelled.text_handle', label, 'public_handles.handle_normalized is null') }}
            as private_mentions
    from {{ mention_rows }} as labelled
    left join (
        select distinct handle_normalized
        from {{ ref('stg_config__accounts') }}
        where platform = '{{ platform }}'
    ) as public_handles
        on public_handles.handle_normalized = {{ normalize_handle('labelled.handle') }}
    where labelled.handle is not null
    group by labelled.post_key
{%- endmacro %}


{#- Bluesky at-uri parts: at://<did>/app.bsky.feed.post/<rkey> -#}
{% macro bluesky_did(uri) -%}
    {{ dbt.split_part(dbt.replace(uri, "'at://'", "''"), "'/'", 1) }}
{%- endmacro %}
{% macro bluesky_rkey(uri) -%}
    {{ dbt.split_part(uri, "'/'", 5) }}
{%- endmacro %}

{#- A Bluesky post's key without its author's DID: bluesky:post:<pseudonym(did)>/<rkey>. -#}
{% macro bluesky_post_key(did, rkey) -%}
    case when {{ did }} is not null and {{ did }} <> '' and {{ rkey }} is not null and {{ rkey }} <> ''
         then 'bluesky:post:' || pseudonym('bluesky', {{ did }}) || '/' || {{ rkey }} end
{%- endmacro %}

{#- The privacy screen every post-like staging model starts with, as CTEs:
    `latest` (the base model's latest copies), `redacted` (each column in `columns` redacted
    once, as <column>_redacted_once) and `screened` (rows whose redacted `text` shows no
    identifier; the rest are counted in stg_quarantine, never loaded). -#}
{% macro privacy_screen_ctes(base_model, columns=['text']) -%}
latest as (
    select * from {{ ref(base_model) }}
    where is_latest
),

redacted as {{ materialized_cte() }} (
    -- redact once; the texts below all derive from this
    select
        *,
        {%- for column in columns %}
        {{ redact(column) }} as {{ column }}_redacted_once{{ ',' if not loop.last }}
        {%- endfor %}
    from latest
),

screened as (
    -- text (which includes any title) that still shows an identifier is not loaded
    select *
    from redacted
    where not coalesce(phi_residue(text_redacted_once), false)
)
{%- endmacro %}


{#- A CTE computed once for all its readers: DuckDB would otherwise inline it and run the
    redaction again per reader. Spark has no such hint (its planner decides). -#}
{% macro materialized_cte() -%}
    {{- adapter.dispatch('materialized_cte', 'carepulse')() -}}
{%- endmacro %}
{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
{% macro spark__materialized_cte() -%}
{%- endmacro %}


{#- Each string of a list redacted. Spark cannot call a Python function inside a lambda: the
    strings go through it once, joined by a control character, and are split again. -#}
{% macro redact_each(arr) -%}
    {{- adapter.dispatch('redact_each', 'carepulse')(arr) -}}
{%- endmacro %}
{% macro duckdb__redact_each(arr) -%}
    list_transform({{ arr }}, lambda flag: {{ redact('flag') }})
{%- endmacro %}
{% macro spark__redact_each(arr) -%}
    case when {{ arr }} is null or size({{ arr }}) = 0 then {{ arr }}
         else split({{ redact('array_join(' ~ arr ~ ', chr(1))') }}, chr(1)) end
{%- endmacro %}

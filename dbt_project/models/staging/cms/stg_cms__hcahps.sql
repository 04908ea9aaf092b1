{#- CMS HCAHPS benchmarks: the patient-survey results of the configured hospitals, one row per
    (hospital, measure), from the newest COMPLETE landing of extract/hcahps.py under
    <raw_root>/benchmarks/hcahps/fetched=<date>/. A landing is complete once its _manifest.json
    exists (written last); only the pages that manifest lists are read, and a page whose sha256
    differs from the manifest's fails the build, named. With no complete landing yet (a fresh
    install) the model builds empty, with the same columns.
    ADAPTER-SPECIFIC (DuckDB): glob(), read_text(), read_json() and sha256(). -#}
{{ config(materialized='table') }}

{%- set root = raw_root() ~ '/benchmarks/hcahps' -%}
{%- set manifest = none -%}
{%- set pages = [] -%}
{%- if execute -%}
    {#- the folder names sort by date; a folder without its manifest is an interrupted fetch -#}
    {%- set newest -%}
        select file from {{ files_matching(root ~ '/fetched=*/_manifest.json') }}
        where file like '%/fetched=____-__-__/_manifest.json'
        order by file desc
        limit 1
    {%- endset -%}
    {%- set found = run_query(newest).columns[0].values() | list -%}
    {%- if found -%}
        {%- set manifest = found[0] -%}
        {%- set listed -%}
            select {{ json_str('page', '$.file') }}
            from (select {{ json_unnest('document', '$.pages') }} as page from {{ read_text_files([manifest]) }} as m) as listed
        {%- endset -%}
        {%- set folder = manifest[:-('_manifest.json' | length)] -%}
        {%- for file in run_query(listed).columns[0].values() -%}
            {%- do pages.append(folder ~ file) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endif %}

with manifest as (
    {%- if manifest is not none %}
    select
        cast({{ json_str('document', '$.fetched_on') }} as date) as fetched_on,
        {{ json_str('page', '$.file') }} as file,
        {{ json_str('page', '$.sha256') }} as sha256
    from (
        select document, {{ json_unnest('document', '$.pages') }} as page
        from {{ read_text_files([manifest]) }} as m
    ) as listed
    {%- else %}
    -- no complete landing yet: an empty relation of the same shape
    select cast(null as date) as fetched_on, cast(null as string) as file,
        cast(null as string) as sha256
    where false
    {%- endif %}
),

landed as (
    {%- if pages %}
    select filename, regexp_extract(filename, '[^/]+$', 0) as file, content, document
    from {{ read_text_files(pages) }} as files
    {%- else %}
    select cast(null as string) as filename, cast(null as string) as file,
        cast(null as string) as content, {{ json_null() }} as document
    where false
    {%- endif %}
),

checked as (
    select
        regexp_extract(landed.filename, '(benchmarks/hcahps/fetched=[^/]+/[^/]+)$', 1) as _source_file,
        manifest.fetched_on,
        landed.document
    from landed
    inner join manifest
        on landed.file = manifest.file
    where case
        when {{ sha256_hex('landed.content') }} = manifest.sha256 then true
        else {{ fail_build("'HCAHPS page ' || landed.filename || ' does not match the sha256 its manifest lists'") }}
    end
),

results as (
    select
        _source_file,
        fetched_on,
        {{ json_unnest('document', '$.results') }} as r
    from checked
)

select
    {{ json_str('r', '$.facility_id') }} as ccn,
    {{ json_str('r', '$.facility_name') }} as facility_name,
    {{ json_str('r', '$.citytown') }} as city,
    {{ json_str('r', '$.state') }} as state,
    {{ json_str('r', '$.hcahps_measure_id') }} as measure_id,
    {{ json_str('r', '$.hcahps_question') }} as question,
    {{ json_str('r', '$.hcahps_answer_description') }} as answer_description,
    -- "Not Applicable" (another kind of row) and "Not Available" (footnoted) become NULL
    try_cast({{ json_str('r', '$.patient_survey_star_rating') }} as integer) as star_rating,
    nullif({{ json_str('r', '$.patient_survey_star_rating_footnote') }}, '') as star_rating_footnote,
    try_cast({{ json_str('r', '$.hcahps_answer_percent') }} as double) as answer_percent,
    nullif({{ json_str('r', '$.hcahps_answer_percent_footnote') }}, '') as answer_percent_footnote,
    try_cast({{ json_str('r', '$.hcahps_linear_mean_value') }} as double) as linear_mean_value,
    try_cast({{ json_str('r', '$.number_of_completed_surveys') }} as integer) as completed_surveys,
    nullif({{ json_str('r', '$.number_of_completed_surveys_footnote') }}, '') as completed_surveys_footnote,
    try_cast({{ json_str('r', '$.survey_response_rate_percent') }} as double) as response_rate_percent,
    {{ us_date(json_str('r', '$.start_date')) }} as period_start,
    {{ us_date(json_str('r', '$.end_date')) }} as period_end,
    fetched_on,
    _source_file
from results

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
        select file from glob({{ sql_string(root ~ '/fetched=*/_manifest.json') }})
        where regexp_matches(file, '/fetched=\d{4}-\d{2}-\d{2}/_manifest\.json$')
        order by file desc
        limit 1
    {%- endset -%}
    {%- set found = run_query(newest).columns[0].values() | list -%}
    {%- if found -%}
        {%- set manifest = found[0] -%}
        {%- set listed -%}
            select unnest(pages).file from read_json({{ sql_string(manifest) }},
                columns = {'pages': 'STRUCT(file VARCHAR)[]'})
        {%- endset -%}
        {%- set folder = manifest[:-('_manifest.json' | length)] -%}
        {%- for file in run_query(listed).columns[0].values() -%}
            {%- do pages.append(folder ~ file) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endif %}

with manifest as (
    {%- if manifest is not none %}
    select fetched_on, struct_extract(page, 'file') as file, struct_extract(page, 'sha256') as sha256
    from (
        select cast(fetched_on as date) as fetched_on, unnest(pages) as page
        from read_json({{ sql_string(manifest) }}, columns = {
            'fetched_on': 'VARCHAR', 'pages': 'STRUCT(file VARCHAR, sha256 VARCHAR)[]'})
    ) as listed
    {%- else %}
    -- no complete landing yet: an empty relation of the same shape
    select cast(null as date) as fetched_on, cast(null as varchar) as file,
        cast(null as varchar) as sha256
    where false
    {%- endif %}
),

landed as (
    {%- if pages %}
    select filename, regexp_extract(filename, '[^/]+$') as file, content from read_text([
        {%- for path in pages %}
        {{ sql_string(path) }}{{ ',' if not loop.last }}
        {%- endfor %}
    ])
    {%- else %}
    select cast(null as varchar) as filename, cast(null as varchar) as file,
        cast(null as varchar) as content
    where false
    {%- endif %}
),

checked as (
    select
        regexp_extract(landed.filename, '(benchmarks/hcahps/fetched=[^/]+/[^/]+)$', 1) as _source_file,
        manifest.fetched_on,
        landed.content
    from landed
    inner join manifest
        on landed.file = manifest.file
    where case
        when sha256(landed.content) = manifest.sha256 then true
        else error('HCAHPS page ' || landed.filename || ' does not match the sha256 its manifest lists')
    end
),

results as (
    select
        _source_file,
        fetched_on,
        unnest(cast(json_extract(content, '$.results') as json[])) as r
    from checked
)

select
    r ->> 'facility_id' as ccn,
    r ->> 'facility_name' as facility_name,
    r ->> 'citytown' as city,
    r ->> 'state' as state,
    r ->> 'hcahps_measure_id' as measure_id,
    r ->> 'hcahps_question' as question,
    r ->> 'hcahps_answer_description' as answer_description,
    -- "Not Applicable" (another kind of row) and "Not Available" (footnoted) become NULL
    try_cast(r ->> 'patient_survey_star_rating' as integer) as star_rating,
    nullif(r ->> 'patient_survey_star_rating_footnote', '') as star_rating_footnote,
    try_cast(r ->> 'hcahps_answer_percent' as double) as answer_percent,
    nullif(r ->> 'hcahps_answer_percent_footnote', '') as answer_percent_footnote,
    try_cast(r ->> 'hcahps_linear_mean_value' as double) as linear_mean_value,
    try_cast(r ->> 'number_of_completed_surveys' as integer) as completed_surveys,
    nullif(r ->> 'number_of_completed_surveys_footnote', '') as completed_surveys_footnote,
    try_cast(r ->> 'survey_response_rate_percent' as double) as response_rate_percent,
    cast(try_strptime(r ->> 'start_date', '%m/%d/%Y') as date) as period_start,
    cast(try_strptime(r ->> 'end_date', '%m/%d/%Y') as date) as period_end,
    fetched_on,
    _source_file
from results

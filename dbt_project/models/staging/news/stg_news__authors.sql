{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per news outlet (its domain) seen in a feed or GDELT result, latest sighting.
{{ stage_authors('news', ref('base_news__author_observations')) }}

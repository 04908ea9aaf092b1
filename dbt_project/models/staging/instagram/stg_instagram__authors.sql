{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Instagram account seen (our own, accounts tagging us, commenters), latest
-- sighting; private individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('instagram', ref('base_instagram__author_observations')) }}

{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Bluesky account seen in any page (post authors, getProfiles), latest
-- sighting; private individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('bluesky', ref('base_bluesky__author_observations')) }}

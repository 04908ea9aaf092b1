{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per YouTube channel seen in any page (channels.list, comment authors), latest
-- sighting; private individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('youtube', ref('base_youtube__author_observations')) }}

{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per X account seen in any page (includes.users), latest sighting; private
-- individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('x', ref('base_x__author_observations')) }}

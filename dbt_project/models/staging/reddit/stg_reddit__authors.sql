{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Reddit account seen in any page (submission authors, tracked accounts'
-- /about), latest sighting; private individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('reddit', ref('base_reddit__author_observations')) }}

{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Facebook account seen as the `from` of a post or comment, latest sighting;
-- private individuals pseudonymised (see macros/stage_authors.sql). Our Page is public by
-- configuration (handles.facebook is its id).
{{ stage_authors('facebook', ref('base_facebook__author_observations')) }}

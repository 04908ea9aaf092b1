{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Mastodon account seen in any page (status authors, account lookups), latest
-- sighting; private individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('mastodon', ref('base_mastodon__author_observations')) }}

-- One row per Reddit account seen in any page (submission authors, tracked accounts'
-- /about), latest sighting; private individuals pseudonymised (see macros/stage_authors.sql).
{{ stage_authors('reddit', ref('base_reddit__author_observations')) }}

{{ config(schema='build') }}
-- One row: the id of the build that is running (macros/batch.sql, build_id), for the models
-- that cannot render it themselves (the Python sentiment model reads it here).
select {{ sql_string(build_id()) }} as build_id

-- A private individual is stored only as a pseudonym: id and handle are the same
-- 'anon_' + 16 hex value, and no display name, bio or account creation date is kept.
-- Checked on the rows this build wrote (the rows of earlier builds were checked by theirs).
{%- for platform in source_names('social') %}
select '{{ platform }}' as platform, author_key
from {{ ref('stg_' ~ platform ~ '__authors') }}
where not author_is_public and {{ in_batch() }}
  and (author_id <> author_handle
       or author_handle not like 'anon!_________________' escape '!'
       or length(author_handle) <> 21
       or display_name is not null
       or description_redacted is not null
       or account_created_at is not null)
{{ 'union all' if not loop.last }}
{%- endfor %}

-- Every committed page's envelope names the run whose manifest lists it (a file copied or
-- moved into another run's folder would break the evidence chain).
{%- for platform in ['youtube', 'reddit', 'mastodon', 'bluesky', 'x'] %}
select '{{ platform }}' as platform, _source_file
from {{ ref('src_' ~ platform ~ '__pages') }}
where envelope_run_id is distinct from _run_id
{{ 'union all' if not loop.last }}
{%- endfor %}

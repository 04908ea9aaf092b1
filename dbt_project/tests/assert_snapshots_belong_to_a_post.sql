-- Every snapshot a build wrote belongs to a post that is loaded or held back by the privacy
-- screen (a held-back post keeps its snapshots: numbers only, never joined to a mart).
{%- for platform, entity, base, staged, key in source_entities() if entity == 'post' %}
select '{{ platform }}' as platform, snapshots.post_snapshot_key
from {{ ref('stg_' ~ platform ~ '__post_snapshots') }} as snapshots
where {{ in_batch('snapshots._loaded_in_build') }}
    and snapshots.post_key not in (select {{ key }} from {{ ref(staged) }})
    and snapshots.post_key not in (
        select natural_key from {{ ref('stg_quarantine') }} where platform = '{{ platform }}' and entity = 'post'
    )
{{ 'union all' if not loop.last }}
{%- endfor %}

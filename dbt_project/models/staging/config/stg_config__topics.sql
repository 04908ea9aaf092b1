-- One row per tracked topic.
with topics as (
    select
        {{ json_unnest_indexed('config', '$.topics', 'topic_index', 'topic') }}
    from {{ ref('src_config') }}
)

select
    {{ json_str('topic', '$.id') }} as topic_id,
    {{ json_str('topic', '$.name') }} as topic_name,
    topic_index + 1 as topic_order
from topics

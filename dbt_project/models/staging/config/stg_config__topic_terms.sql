-- One row per term of a topic: keywords (keyword), hashtags (hashtag, without '#') and the
-- exclusion phrases that veto a topic tag (exclude).
with topics as (
    select {{ json_unnest('config', '$.topics') }} as topic
    from {{ ref('src_config') }}
),

terms as (
    {% for json_key, term_type in [('keywords', 'keyword'), ('hashtags', 'hashtag'), ('exclude', 'exclude')] %}
    {% if not loop.first %}union all{% endif %}
    select topic_id, '{{ term_type }}' as term_type, {{ json_str('term', '$') }} as term
    from (
        select
            {{ json_str('topic', '$.id') }} as topic_id,
            {{ json_unnest('topic', '$.' ~ json_key) }} as term
        from topics
    ) as listed
    {% endfor %}
)

select distinct
    topic_id || ':' || term_type || ':' || lower(trim(term)) as topic_term_key,
    topic_id,
    term_type,
    term,
    lower(trim(term)) as term_normalized
from terms
where term is not null and trim(term) <> ''

-- One row per record held back by the privacy screen: a post or comment whose text still
-- looks like it holds an identifier after redaction (not loaded at all), or a public
-- profile whose name or bio does (loaded as a private, pseudonymised author instead).
-- Never the text: platform, what it was, its key, where it came from and why.
--
-- A post's latest copy (is_latest in its base model) is left out of stg_<platform>__posts
-- by the privacy screen and by nothing else, so the held-back posts are exactly the latest
-- copies missing there: an anti-join, which spares running the redaction a second time.
{%- set posts = [
    ('youtube', 'post', 'base_youtube__videos', 'stg_youtube__posts', 'post_key'),
    ('youtube', 'comment', 'base_youtube__comments', 'stg_youtube__comments', 'comment_key'),
    ('reddit', 'post', 'base_reddit__posts', 'stg_reddit__posts', 'post_key'),
    ('mastodon', 'post', 'base_mastodon__posts', 'stg_mastodon__posts', 'post_key'),
    ('bluesky', 'post', 'base_bluesky__posts', 'stg_bluesky__posts', 'post_key'),
    ('x', 'post', 'base_x__posts', 'stg_x__posts', 'post_key'),
] %}

with held_back as (
    {%- for platform, entity, base, staged, key in posts %}
    select
        '{{ platform }}' as platform,
        '{{ entity }}' as entity,
        latest.{{ key }} as natural_key,
        latest.snapshot_date,
        'phi_residue' as reason,
        {{ lineage_columns('latest') }}
    from {{ ref(base) }} as latest
    left join {{ ref(staged) }} as loaded on loaded.{{ key }} = latest.{{ key }}
    where latest.is_latest and loaded.{{ key }} is null

    union all
    {%- endfor %}

    {%- for platform in ['youtube', 'reddit', 'mastodon', 'bluesky', 'x'] %}
    select
        '{{ platform }}' as platform,
        'author_profile' as entity,
        author_key as natural_key,
        snapshot_date,
        'phi_residue' as reason,
        {{ lineage_columns() }}
    from {{ ref('stg_' ~ platform ~ '__authors') }}
    where profile_quarantined
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    platform || ':' || entity || ':' || natural_key as quarantine_key,
    platform,
    entity,
    natural_key,
    snapshot_date,
    reason,
    {{ lineage_columns() }}
from held_back

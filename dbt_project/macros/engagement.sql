{#- The engagement mapping, written once (docs/architecture.md, "Engagement mapping"): each
    platform's native counts as likes, comments, shares, quotes, views and engagements.
    int_posts_unified applies it to the latest copy of each post, fct_post_engagement_daily
    to every nightly snapshot; both read the staging columns of the same names. -#}
{% macro engagement_mapping(source) -%}
    {%- set maps = {
        'youtube_video': {
            'likes': 'like_count', 'comments': 'comment_count', 'shares': none, 'quotes': none,
            'views': 'view_count',
            'note': 'YouTube: likes + comments (likeCount is absent when likes are hidden: counts as 0)',
            'engagements': 'coalesce(like_count, 0) + coalesce(comment_count, 0)'},
        'youtube_comment': {
            'likes': 'like_count', 'comments': 'total_reply_count', 'shares': none, 'quotes': none,
            'views': none,
            'note': "a comment's likes + the replies in its thread",
            'engagements': 'coalesce(like_count, 0) + coalesce(total_reply_count, 0)'},
        'reddit': {
            'likes': 'score', 'comments': 'num_comments', 'shares': none, 'quotes': none, 'views': none,
            'note': 'Reddit: score (net upvotes, floored at 0 so a downvoted post adds none) + comments',
            'engagements': 'greatest(coalesce(score, 0), 0) + coalesce(num_comments, 0)'},
        'mastodon': {
            'likes': 'favourites_count', 'comments': 'replies_count', 'shares': 'reblogs_count',
            'quotes': 'quotes_count', 'views': none,
            'note': 'Mastodon: favourites + boosts + replies',
            'engagements': 'coalesce(favourites_count, 0) + coalesce(reblogs_count, 0) + coalesce(replies_count, 0)'},
        'bluesky': {
            'likes': 'like_count', 'comments': 'reply_count', 'shares': 'repost_count',
            'quotes': 'quote_count', 'views': none,
            'note': 'Bluesky: likes + reposts + replies + quotes',
            'engagements': 'coalesce(like_count, 0) + coalesce(repost_count, 0) + coalesce(reply_count, 0) + coalesce(quote_count, 0)'},
        'x': {
            'likes': 'like_count', 'comments': 'reply_count', 'shares': 'retweet_count',
            'quotes': 'quote_count', 'views': 'impression_count',
            'note': 'X: likes + reposts + replies + quotes',
            'engagements': 'coalesce(like_count, 0) + coalesce(retweet_count, 0) + coalesce(reply_count, 0) + coalesce(quote_count, 0)'},
    } -%}
    {%- set m = maps[source] -%}
    {%- for column in ['likes', 'comments', 'shares', 'quotes', 'views'] %}
        {{ m[column] if m[column] else 'cast(null as bigint)' }} as {{ column }},
    {%- endfor %}
        -- {{ m['note'] }}
        {{ m['engagements'] }} as engagements
{%- endmacro %}

{#- Facebook in the warehouse's shared shapes (macros/sources.sql reads these by name).
    Reactions (like, love, care, haha, wow, sad, angry) count as likes: a reaction is the
    one-tap approval other platforms call a like; shares are public re-posts. -#}
{% macro facebook__post() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as string)'},
        'engagement': {
            'likes': 'reaction_count', 'comments': 'comment_count', 'shares': 'share_count',
            'formula': 'reactions + comments + shares',
            'note': 'Facebook: reactions (all kinds) + comments + shares (shares absent when 0: counts as 0)',
            'engagements': 'coalesce(reaction_count, 0) + coalesce(comment_count, 0) + coalesce(share_count, 0)'},
    }) -}}
{%- endmacro %}

{% macro facebook__comment() -%}
    {{- return({
        'unified': {
            'post_key': 'comment_key', 'native_post_id': 'native_comment_id', 'post_url': 'comment_url',
            'author_followers_count': 'cast(null as bigint)', 'lang': 'cast(null as string)',
            'in_reply_to_key': 'coalesce(parent_comment_key, post_key_commented)', 'content_type': "'text'"},
        'engagement': {
            'likes': 'like_count', 'comments': 'reply_count',
            'note': "a comment's likes + its replies",
            'engagements': 'coalesce(like_count, 0) + coalesce(reply_count, 0)'},
    }) -}}
{%- endmacro %}

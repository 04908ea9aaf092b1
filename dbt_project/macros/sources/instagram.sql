{#- Instagram in the warehouse's shared shapes (macros/sources.sql reads these by name).
    Instagram has no public share count; views need the insights edge (not read). -#}
{% macro instagram__post() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as string)'},
        'engagement': {
            'likes': 'like_count', 'comments': 'comment_count',
            'formula': 'likes + comments',
            'note': 'Instagram: likes + comments (like_count is absent when the owner hides likes: counts as 0)',
            'engagements': 'coalesce(like_count, 0) + coalesce(comment_count, 0)'},
    }) -}}
{%- endmacro %}

{% macro instagram__comment() -%}
    {{- return({
        'unified': {
            'post_key': 'comment_key', 'native_post_id': 'native_comment_id', 'post_url': 'comment_url',
            'author_followers_count': 'cast(null as bigint)', 'lang': 'cast(null as string)',
            'in_reply_to_key': 'media_post_key', 'content_type': "'text'"},
        'engagement': {
            'likes': 'like_count',
            'note': "a comment's likes",
            'engagements': 'coalesce(like_count, 0)'},
    }) -}}
{%- endmacro %}

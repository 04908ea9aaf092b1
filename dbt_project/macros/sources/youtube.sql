{#- YouTube in the warehouse's shared shapes (macros/sources.sql reads these by name). -#}
{% macro youtube__post() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as string)'},
        'engagement': {
            'likes': 'like_count', 'comments': 'comment_count', 'views': 'view_count',
            'formula': 'likes + comments (comments: likes + thread replies)',
            'note': 'YouTube: likes + comments (likeCount is absent when likes are hidden: counts as 0)',
            'engagements': 'coalesce(like_count, 0) + coalesce(comment_count, 0)'},
    }) -}}
{%- endmacro %}

{% macro youtube__comment() -%}
    {{- return({
        'unified': {
            'post_key': 'comment_key', 'native_post_id': 'native_comment_id', 'post_url': 'comment_url',
            'author_followers_count': 'cast(null as bigint)', 'lang': 'cast(null as string)',
            'in_reply_to_key': 'coalesce(parent_comment_key, video_post_key)', 'content_type': "'text'"},
        'engagement': {
            'likes': 'like_count', 'comments': 'total_reply_count',
            'note': "a comment's likes + the replies in its thread",
            'engagements': 'coalesce(like_count, 0) + coalesce(total_reply_count, 0)'},
    }) -}}
{%- endmacro %}

{#- Generated from carepulse/sources.py by `carepulse dbt-manifest`; do not edit.
    The registered sources, with the entities each stages. -#}
{% macro registered_sources() -%}
    {{- return([
        {
            "name": "youtube",
            "display_name": "YouTube",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_youtube__videos",
                    "staged_model": "stg_youtube__posts",
                    "key": "post_key",
                    "raw_suite": "raw__youtube_videos"
                },
                {
                    "name": "comment",
                    "base_model": "base_youtube__comments",
                    "staged_model": "stg_youtube__comments",
                    "key": "comment_key",
                    "raw_suite": "raw__youtube_comment_threads"
                }
            ]
        },
        {
            "name": "reddit",
            "display_name": "Reddit",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_reddit__posts",
                    "staged_model": "stg_reddit__posts",
                    "key": "post_key",
                    "raw_suite": "raw__reddit_posts"
                }
            ]
        },
        {
            "name": "mastodon",
            "display_name": "Mastodon",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_mastodon__posts",
                    "staged_model": "stg_mastodon__posts",
                    "key": "post_key",
                    "raw_suite": "raw__mastodon_statuses"
                }
            ]
        },
        {
            "name": "bluesky",
            "display_name": "Bluesky",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_bluesky__posts",
                    "staged_model": "stg_bluesky__posts",
                    "key": "post_key",
                    "raw_suite": "raw__bluesky_posts"
                }
            ]
        },
        {
            "name": "x",
            "display_name": "X",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_x__posts",
                    "staged_model": "stg_x__posts",
                    "key": "post_key",
                    "raw_suite": "raw__x_tweets"
                }
            ]
        },
        {
            "name": "facebook",
            "display_name": "Facebook",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_facebook__posts",
                    "staged_model": "stg_facebook__posts",
                    "key": "post_key",
                    "raw_suite": "raw__facebook_posts"
                },
                {
                    "name": "comment",
                    "base_model": "base_facebook__comments",
                    "staged_model": "stg_facebook__comments",
                    "key": "comment_key",
                    "raw_suite": "raw__facebook_comments"
                }
            ]
        },
        {
            "name": "instagram",
            "display_name": "Instagram",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_instagram__media",
                    "staged_model": "stg_instagram__posts",
                    "key": "post_key",
                    "raw_suite": "raw__instagram_media"
                },
                {
                    "name": "comment",
                    "base_model": "base_instagram__comments",
                    "staged_model": "stg_instagram__comments",
                    "key": "comment_key",
                    "raw_suite": "raw__instagram_comments"
                }
            ]
        },
        {
            "name": "news",
            "display_name": "News",
            "kind": "social",
            "entities": [
                {
                    "name": "post",
                    "base_model": "base_news__articles",
                    "staged_model": "stg_news__posts",
                    "key": "post_key",
                    "raw_suite": "raw__news_articles"
                }
            ]
        },
        {
            "name": "gbp",
            "display_name": "Google reviews",
            "kind": "reviews",
            "entities": [
                {
                    "name": "review",
                    "base_model": "base_gbp__reviews",
                    "staged_model": "stg_gbp__reviews",
                    "key": "post_key",
                    "raw_suite": "raw__gbp_reviews"
                }
            ]
        }
    ]) -}}
{%- endmacro %}

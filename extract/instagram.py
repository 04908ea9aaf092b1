"""Instagram connector (a professional account of ours): its media, their comments, and the
media tagging it.

One accounts shard per night, the account (`Shard.account` is its Instagram user id):
`/media` of the engagement lookback, every media's comments, then `/tags`, media by other
accounts tagging ours. /tags takes no time window: it is read newest first and stops after
the first page that reaches back past the shard's `since` (pages land whole). `like_count`
is absent on media whose owner hides likes. The paging, errors and credential handling
shared with Facebook are in extract/meta.py.
"""

from __future__ import annotations

from extract.meta import Edge, GraphConnector

MEDIA_FIELDS = ("id,caption,media_type,media_product_type,permalink,timestamp,username,like_count,"
                "comments_count")
TAG_FIELDS = "id,caption,media_type,permalink,timestamp,username,like_count,comments_count"
COMMENT_FIELDS = "id,text,timestamp,from{id,username},like_count"

COMMENTS = Edge("instagram.media.comments", "comments", "media_id", COMMENT_FIELDS,
                "instagram_manage_comments")
MEDIA = Edge("instagram.user.media", "media", "ig_user_id", MEDIA_FIELDS, "instagram_basic",
             window=True, child=COMMENTS, child_count=("comments_count",))
TAGS = Edge("instagram.user.tags", "tags", "ig_user_id", TAG_FIELDS, "instagram_manage_comments",
            stop_field="timestamp")


class InstagramConnector(GraphConnector):
    platform = "instagram"
    phases = (MEDIA, TAGS)

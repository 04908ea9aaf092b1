"""Facebook Pages connector: our Page's feed (its posts and visitors' posts on it), their
comments, and the posts tagging the Page.

One accounts shard per night, the Page (`Shard.account` is its id, read with a Page access
token): `/feed` of the engagement lookback (the Page's own posts and what visitors posted on
it; `/posts` would leave the visitors out) with reactions and comments counted through
`.summary(...)`, every post's comments (`filter=stream`: the Page's replies come too, each
naming its `parent`), then `/tagged`, other people's and Pages' public posts naming ours.
Graph leaves out what is not there: `shares` while nobody has shared a post, `message` on a
photo-only post, `from` on a person's post or comment. The paging, errors and credential
handling shared with Instagram are in extract/meta.py.
"""

from __future__ import annotations

from extract.meta import Edge, GraphConnector

POST_FIELDS = ("id,message,created_time,updated_time,permalink_url,from{id,name},status_type,"
               "message_tags,attachments{media_type},shares,reactions.summary(total_count).limit(0),"
               "comments.summary(true).limit(0)")
COMMENT_FIELDS = "id,message,created_time,from{id,name},like_count,comment_count,parent{id}"

COMMENTS = Edge("facebook.post.comments", "comments", "post_id", COMMENT_FIELDS,
                "pages_read_user_content", extra=(("filter", "stream"),))
POSTS = Edge("facebook.page.posts", "feed", "page_id", POST_FIELDS, "pages_read_engagement",
             window=True, child=COMMENTS, child_count=("comments", "summary", "total_count"))
TAGGED = Edge("facebook.page.tagged", "tagged", "page_id", POST_FIELDS, "pages_read_user_content",
              window=True)


class FacebookConnector(GraphConnector):
    platform = "facebook"
    phases = (POSTS, TAGGED)

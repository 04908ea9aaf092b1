"""Instagram Graph API (professional accounts): our media, media tagging us, their comments.

Served (any `v<major>.<minor>` prefix, or none):
`GET /{ig-user-id}/media` (`since`/`until` as unix seconds or a date, [since, until);
newest first), `GET /{ig-user-id}/tags` (newest first; `since`/`until` are ignored, as
Instagram ignores them there) and `GET /{ig-media-id}/comments` (top-level, oldest first).
Pages of `limit` (1-100, default 25) with opaque `after` cursors; `paging.next` is absent on
the last page.

What is generated, and the Graph quirks served, are in extract/simulator/meta.py; here is
only what Instagram's objects look like: `like_count` is absent on media whose owner hides
likes, `caption` on media posted without one; our own media name no owner id (only
`username`), and comments carry `from{id,username}`. Media ids are 18 digits and comment
ids 18 digits from another range.
"""

from __future__ import annotations

from typing import ClassVar

from extract.simulator.meta import Comment, Field, GraphPlatform, Post, graph_time, project
from extract.simulator.platforms import Request, Response

MEDIA_FIELDS = frozenset({"id", "caption", "media_type", "media_product_type", "permalink",
                          "timestamp", "username", "like_count", "comments_count", "shortcode"})
COMMENT_FIELDS = frozenset({"id", "text", "timestamp", "from", "like_count", "username", "hidden"})


class Instagram(GraphPlatform):
    name = "instagram"
    buc_type = "instagram"
    throttle_code = 80002
    edges: ClassVar[dict[str, str]] = {
        "media": "instagram.user.media", "tags": "instagram.user.tags",
        "comments": "instagram.media.comments"}
    permissions: ClassVar[dict[str, str]] = {
        "instagram.user.media": "instagram_basic",
        "instagram.user.tags": "instagram_manage_comments",
        "instagram.media.comments": "instagram_manage_comments"}

    @property
    def owner_id(self) -> str:
        return self.meta.ig_user_id

    def permission_error(self, req: Request, permission: str) -> Response:
        # Instagram's permission errors do not name the permission
        return self.error(req, 403, "(#10) Application does not have permission for this action", 10)

    # -- handlers ----------------------------------------------------------------------------

    def media(self, req: Request) -> Response:
        window = self.window(req)
        if isinstance(window, Response):
            return window
        return self._listing(req, "ig_media", window)

    def tags(self, req: Request) -> Response:
        return self._listing(req, "ig_tags", (None, None))

    def comments(self, req: Request) -> Response:
        media = self.meta.find("ig_media", self.target(req))
        if media is None:
            return self.no_object(req, self.target(req))
        fields = self.fields(req, COMMENT_FIELDS, "timestamp,text,id", "IGComment")
        if isinstance(fields, Response):
            return fields
        found = self.meta.comments(media, req.now_ms)
        return self.paged(req, [(c.key, c) for c in found],
                          lambda c: project(self.comment_doc(c, req.now_ms), fields),
                          descending=False, gap=media.key % 3 == 0)

    def _listing(self, req: Request, kind: str, window: tuple[int | None, int | None]) -> Response:
        if self.target(req) != self.meta.ig_user_id:
            return self.no_object(req, self.target(req))
        fields = self.fields(req, MEDIA_FIELDS, "id", "IGMedia")
        if isinstance(fields, Response):
            return fields
        found = self.meta.posts(kind, *window, req.now_ms)
        return self.paged(req, [(p.key, p) for p in found],
                          lambda p: self.media_doc(p, fields, req.now_ms), descending=True)

    # -- objects -------------------------------------------------------------------------------

    def media_doc(self, media: Post, fields: tuple[Field, ...], now: int) -> dict:
        doc: dict = {"id": media.id}
        if media.text is not None:
            doc["caption"] = media.text
        doc["media_type"] = media.kind
        if media.media:
            doc["media_product_type"] = media.media
        doc.update(permalink=media.link, shortcode=media.link.rstrip("/").rpartition("/")[2],
                   timestamp=graph_time(media.ms),
                   username=media.author.username if media.author else self.meta.username)
        if not media.likes_hidden:
            doc["like_count"] = self.meta.reactions(media, now)
        doc["comments_count"] = self.meta.comment_count(media, now)
        return project(doc, fields)

    def comment_doc(self, comment: Comment, now: int) -> dict:
        who = (comment.author.id, comment.author.username) if comment.author \
            else (self.meta.ig_user_id, self.meta.username)
        return {"id": comment.id, "text": comment.text, "timestamp": graph_time(comment.ms),
                "from": {"id": who[0], "username": who[1]},
                "username": who[1], "like_count": self.meta.likes(comment, now),
                "hidden": False}

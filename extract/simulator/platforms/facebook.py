"""Facebook Graph API: our Page's feed, the posts tagging it, and their comments.

Served (any `v<major>.<minor>` prefix, or none):
`GET /{page-id}/feed` (the Page's posts and people's posts on it), `GET /{page-id}/posts`
(the Page's own) and `GET /{page-id}/tagged` (`since`/`until` as unix seconds or a
date, [since, until); newest first) and `GET /{post-id}/comments` (`filter=stream`: replies
too, each with `parent`; else top-level only; oldest first). Pages of `limit` (1-100,
default 25) with opaque `after` cursors; `paging.next` is absent on the last page.

What is generated, and the Graph quirks served, are in extract/simulator/meta.py; here is
only what Facebook's objects look like. A post's `from` is the Page itself, or another Page
tagging ours; a person's post that tags the Page, or that they wrote on it, has no `from`
(Graph gives it to its creator only), nor do people's comments, while the Page's own
replies carry it.
`reactions` and `comments` asked for as fields carry a `summary` only when asked:
`reactions.summary(total_count).limit(0)`, `comments.summary(true).limit(0)`. `shares` is
absent while nobody has shared a post, `message` on a photo-only one.
"""

from __future__ import annotations

from typing import ClassVar

from extract.simulator.meta import (
    REACTIONS,
    Comment,
    Field,
    GraphPlatform,
    Post,
    graph_time,
    project,
)
from extract.simulator.platforms import Request, Response
from extract.simulator.world import splitmix, stable_seed

POST_FIELDS = frozenset({"id", "message", "created_time", "updated_time", "permalink_url", "from",
                         "status_type", "message_tags", "attachments", "shares", "reactions",
                         "comments"})
COMMENT_FIELDS = frozenset({"id", "message", "created_time", "from", "like_count", "comment_count",
                            "parent", "permalink_url"})
POST_DEFAULT = "created_time,message,id"
COMMENT_DEFAULT = "created_time,from,message,id"


class Facebook(GraphPlatform):
    name = "facebook"
    buc_type = "pages"
    throttle_code = 80001
    edges: ClassVar[dict[str, str]] = {
        "posts": "facebook.page.posts", "feed": "facebook.page.posts", "tagged": "facebook.page.tagged",
        "comments": "facebook.post.comments"}
    permissions: ClassVar[dict[str, str]] = {
        "facebook.page.posts": "pages_read_engagement",
        "facebook.page.tagged": "pages_read_user_content",
        "facebook.post.comments": "pages_read_user_content"}

    @property
    def owner_id(self) -> str:
        return self.meta.page_id

    # -- handlers ----------------------------------------------------------------------------

    def posts(self, req: Request) -> Response:
        return self._feed(req, "fb_posts")

    def feed(self, req: Request) -> Response:
        """The Page's own posts and the people's posts on it."""
        return self._feed(req, "fb_posts", "fb_visitor")

    def tagged(self, req: Request) -> Response:
        return self._feed(req, "fb_tagged")

    def comments(self, req: Request) -> Response:
        post = self.meta.find("fb_posts", self.target(req)) or self.meta.find("fb_visitor", self.target(req))
        if post is None:
            return self.no_object(req, self.target(req))
        fields = self.fields(req, COMMENT_FIELDS, COMMENT_DEFAULT, "Comment")
        if isinstance(fields, Response):
            return fields
        mode = req.arg("filter", "toplevel")
        if mode not in ("toplevel", "stream"):
            return self.bad_parameter(req, "Param filter must be one of {toplevel, stream}")
        found = self.meta.comments(post, req.now_ms, replies=mode == "stream")
        gap = post.key % 3 == 0  # every third post: the first page comes back filtered empty
        return self.paged(req, [(c.key, c) for c in found],
                          lambda c: project(self.comment_doc(post, c, req.now_ms), fields),
                          descending=False, gap=gap)

    def _feed(self, req: Request, *kinds: str) -> Response:
        if self.target(req) != self.meta.page_id:
            return self.no_object(req, self.target(req))
        fields = self.fields(req, POST_FIELDS, POST_DEFAULT, "PagePost")
        if isinstance(fields, Response):
            return fields
        window = self.window(req)
        if isinstance(window, Response):
            return window
        found = sorted((p for kind in kinds for p in self.meta.posts(kind, *window, req.now_ms)),
                       key=lambda p: -p.key)
        return self.paged(req, [(p.key, p) for p in found],
                          lambda p: self.post_doc(p, fields, req.now_ms), descending=True)

    # -- objects -------------------------------------------------------------------------------

    def post_doc(self, post: Post, fields: tuple[Field, ...], now: int) -> dict:
        doc: dict = {"id": post.id}
        if post.text is not None:
            doc["message"] = post.text
        doc.update(created_time=graph_time(post.ms),
                   updated_time=graph_time(self.meta.updated_ms(post, now)),
                   permalink_url=post.link)
        author = post.author or self.meta.us
        if author.page:
            doc["from"] = {"name": author.name, "id": author.id}
        doc["status_type"] = post.kind
        if post.tags:
            doc["message_tags"] = [{"id": i, "name": n, "type": t, "offset": o, "length": ln}
                                   for i, n, t, o, ln in post.tags]
        if post.media:
            doc["attachments"] = {"data": [{"media_type": post.media, "type": _attachment(post.media),
                                            "url": post.link}]}
        shares = self.meta.shares(post, now)
        if shares:
            doc["shares"] = {"count": shares}
        return project(doc, fields, {"reactions": lambda f: self._reactions(post, now, f),
                                     "comments": lambda f: self._comment_edge(post, now, f)})

    def comment_doc(self, post: Post, comment: Comment, now: int) -> dict:
        doc: dict = {"id": comment.id, "message": comment.text, "created_time": graph_time(comment.ms)}
        if comment.author is None:
            doc["from"] = {"name": self.meta.org, "id": self.meta.page_id}
        doc.update(like_count=self.meta.likes(comment, now),
                   comment_count=self.meta.replies_to(post, comment, now),
                   permalink_url=f"{post.link}?comment_id={comment.id.rpartition('_')[2]}")
        parent = next((c for c in post.comments if c.id == comment.parent), None)
        if parent is not None:
            doc["parent"] = {"created_time": graph_time(parent.ms), "message": parent.text, "id": parent.id}
        return doc

    def _reactions(self, post: Post, now: int, field: Field) -> dict:
        total = self.meta.reactions(post, now)
        shown = min(total, field.limit)
        data = []
        for i in range(shown):
            who = self.meta.person("facebook", splitmix(stable_seed(post.id, "reaction", i)) % 2000)
            data.append({"id": who.id, "name": who.name,
                         "type": REACTIONS[splitmix(stable_seed(post.id, i)) % len(REACTIONS)]})
        out: dict = {"data": data}
        if field.summary:
            out["summary"] = {"total_count": total, "viewer_reaction": "NONE"}
        return out

    def _comment_edge(self, post: Post, now: int, field: Field) -> dict:
        top = self.meta.comments(post, now, replies=False)
        sub = field.sub or (Field("created_time"), Field("from"), Field("message"), Field("id"))
        shown = top[:field.limit]
        out: dict = {"data": [project(self.comment_doc(post, c, now), sub) for c in shown]}
        if field.summary:
            out["summary"] = {"order": "ranked", "total_count": self.meta.comment_count(post, now),
                              "can_comment": True}
        return out


def _attachment(media: str) -> str:
    return {"photo": "photo", "video": "video_inline", "album": "album", "link": "share"}[media]

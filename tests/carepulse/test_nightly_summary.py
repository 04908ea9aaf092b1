"""What `carepulse run` says about a night's extraction before it goes on."""

from __future__ import annotations

import json

from carepulse.nightly import partial_platforms


def test_each_platform_that_did_not_deliver_everything_is_named_with_its_reasons(tmp_path):
    manifest = tmp_path / "manifest.json"
    reason = "missing_credential: the environment variable named by platforms.x.credential_env is not set"
    manifest.write_text(json.dumps({"shards": {
        "x-mentions-a": {"platform": "x", "status": "partial", "reason": f"skipped ({reason})"},
        "x-mentions-b": {"platform": "x", "status": "partial", "reason": f"skipped ({reason})"},
        "reddit-mentions-a": {"platform": "reddit", "status": "partial", "reason": "quota_exhausted: 429"},
        "youtube-mentions-a": {"platform": "youtube", "status": "complete", "reason": None},
    }}))
    lines = partial_platforms([{"night": "2026-12-05", "manifest": str(manifest)}])
    assert lines == ["2026-12-05 reddit: partial: quota_exhausted: 429", f"2026-12-05 x: partial: {reason}"]

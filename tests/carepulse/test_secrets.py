"""Secrets never reach logs or error text, whatever logger the text goes through."""

from __future__ import annotations

import logging

import pytest

from carepulse.secrets import MissingSecret, get_secret, install_log_masking, mask

KEY = "AIzaSyCANARY-youtube-key-0000000000000"


def test_registered_secret_and_known_shapes_are_masked(monkeypatch):
    monkeypatch.setenv("CP_TEST_KEY", "client-id-123:very-secret-value")
    get_secret("CP_TEST_KEY")
    assert mask("both client-id-123:very-secret-value") == "both ***"
    assert "client-id-123" in mask("public part client-id-123")  # public halves stay readable
    assert mask(f"GET https://y/v3/search?part=snippet&key={KEY}&alt=json") == \
        "GET https://y/v3/search?part=snippet&key=***&alt=json"
    assert mask("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer ***"
    assert KEY not in mask(f"x-goog-api-key: {KEY}")


def test_missing_secret_names_the_variable(monkeypatch):
    monkeypatch.delenv("CP_NOT_SET", raising=False)
    with pytest.raises(MissingSecret, match="CP_NOT_SET is not set"):
        get_secret("CP_NOT_SET")


def test_log_records_are_masked_for_any_logger(caplog):
    install_log_masking()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("googleapiclient.http").warning("retry %s", f"https://y?key={KEY}")
        try:
            raise RuntimeError(f"boom key={KEY}")
        except RuntimeError:
            logging.getLogger("some.library").exception("failed")
    assert KEY not in caplog.text
    assert all(KEY not in (r.exc_text or "") for r in caplog.records)

"""Secrets are redacted from every message that reaches a user or a log."""

from __future__ import annotations

from openai_images.errors import redact, remember_secret


def test_key_shapes_are_redacted():
    text = "Incorrect API key provided: sk-proj-abcdef123456. Header Bearer abcdefgh12345678 and api-key: 0123456789abcdef"
    cleaned = redact(text)
    assert "sk-proj-abcdef123456" not in cleaned and "abcdefgh12345678" not in cleaned and "0123456789abcdef" not in cleaned
    assert cleaned.count("[redacted]") == 3


def test_remembered_secrets_are_redacted_whatever_their_shape():
    remember_secret("azure0key0not0sk0shaped")
    assert redact("failed with azure0key0not0sk0shaped inside") == "failed with [redacted] inside"


def test_ordinary_text_is_left_alone():
    text = "Size 1024x1792 is not available; sketch the skyline"
    assert redact(text) == text


def test_credentials_in_urls_are_redacted():
    assert redact("via http://proxyuser:hunter2@proxy.local:8080/v1 now") == "via http://[redacted]@proxy.local:8080/v1 now"
    assert redact("GET https://gw.example/v1/x?api_key=abc123&model=m") == "GET https://gw.example/v1/x?api_key=[redacted]&model=m"
    assert redact("https://gw.example/v1?token=t0k3n;sig=s1g") == "https://gw.example/v1?token=[redacted];sig=[redacted]"
    assert redact("mail a@b.com about https://api.openai.com/v1") == "mail a@b.com about https://api.openai.com/v1"

"""Sign-in for the HTTP server: static tokens or JWTs from the team's identity provider, and the user a call is made by.

On stdio, and on HTTP at a loopback address with no sign-in configured, every call is made by the
one local user ("local"), whose conversations and images are the plain folders. Signed in, the
user is the token's subject, and `limits.user_key` names the per-user folder or key prefix. Static tokens
(OPENAI_IMAGES_AUTH_TOKENS) are for development; JWTs are checked against the provider's JWKS,
issuer and audience, and the server publishes RFC 9728 protected-resource metadata pointing at
the issuer, so that MCP clients can sign in there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from pathlib import Path

from openai_images.errors import ConfigurationError, remember_secret
from openai_images.limits import LOCAL_USER

USER_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
MAX_TOKENS_FILE_BYTES = 1024 * 1024


def parse_tokens(raw: str) -> dict[str, str]:
    """`user=token` pairs separated by commas, or `@/path/to/file` with one pair per line: {user: token}."""
    where = "OPENAI_IMAGES_AUTH_TOKENS"
    text = raw.strip()
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        try:
            with path.open("rb") as handle:
                content = handle.read(MAX_TOKENS_FILE_BYTES + 1)
        except OSError as exc:
            raise ConfigurationError(f"{where}: cannot read the tokens file {path} ({exc.strerror or exc}).") from None
        if len(content) > MAX_TOKENS_FILE_BYTES:
            raise ConfigurationError(f"{where}: the tokens file {path} is over 1 MB; it should hold one user=token pair per line.")
        where = f"{where} file {path}"
        pairs = [line.strip() for line in content.decode("utf-8", "replace").splitlines()]
        pairs = [line for line in pairs if line and not line.startswith("#")]
    else:
        pairs = [part.strip() for part in text.split(",") if part.strip()]
    tokens: dict[str, str] = {}
    for number, pair in enumerate(pairs, 1):
        user, equals, token = pair.partition("=")
        user, token = user.strip(), token.strip()
        if not equals or not USER_NAME.fullmatch(user) or len(token) < 16:
            raise ConfigurationError(
                f"{where}: entry {number} is not user=token with a user name of letters, digits and ._@+- and a token of "
                "at least 16 characters (make one with: openssl rand -hex 24)."
            )
        if user == LOCAL_USER:
            raise ConfigurationError(f"{where}: the user name {LOCAL_USER!r} is kept for the server's own local user; choose another.")
        if user in tokens:
            raise ConfigurationError(f"{where}: user {user!r} is listed twice; give each user one token.")
        if token in tokens.values():
            raise ConfigurationError(f"{where}: two users share one token; give each user their own.")
        tokens[user] = token
    if not tokens:
        raise ConfigurationError(f"{where} holds no user=token pairs.")
    return tokens


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost and the like: an address only this machine reaches."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def current_user() -> str:
    """Who makes the current call: the signed-in subject, or the local user when there is no sign-in."""
    from fastmcp.server.dependencies import get_access_token

    token = get_access_token()
    if token is None:
        return LOCAL_USER
    claims = token.claims or {}
    subject = claims.get("sub") or getattr(token, "subject", None) or token.client_id
    return signed_in(str(subject))


def signed_in(subject: str) -> str:
    """The user a signed-in subject is: never the local user, even for a subject spelled "local".

    One-to-one: "local" and anything starting with NUL get one more NUL in front, so no two
    subjects are one user, and no token or JWT ever reaches the operator's own folders.
    """
    return "\x00" + subject if subject == LOCAL_USER or subject.startswith("\x00") else subject


def provider(settings, *, base_url: str):
    """The FastMCP auth provider the settings ask for, or None when there is no sign-in."""
    from fastmcp.server.auth import RemoteAuthProvider, TokenVerifier
    from fastmcp.server.auth.auth import AccessToken

    jwt = (settings.jwt_jwks_url, settings.jwt_issuer, settings.jwt_audience)
    if settings.auth_tokens and any(jwt):
        raise ConfigurationError("Set either OPENAI_IMAGES_AUTH_TOKENS or the OPENAI_IMAGES_JWT_* settings, not both.")
    if settings.auth_tokens:
        tokens = parse_tokens(settings.auth_tokens)
        for token in tokens.values():  # a tokens file's too: no log line or message ever shows one
            remember_secret(token)

        class TokenTable(TokenVerifier):
            """The development tokens: every entry compared in constant time, so timing tells nothing about a token."""

            def __init__(self) -> None:
                super().__init__(base_url=base_url)
                self.digests = [(user, hashlib.sha256(token.encode()).digest()) for user, token in tokens.items()]

            async def verify_token(self, token: str) -> AccessToken | None:
                offered = hashlib.sha256(token.encode("utf-8", "replace")).digest()
                found = None
                for user, digest in self.digests:
                    if hmac.compare_digest(offered, digest):
                        found = user
                if found is None:
                    return None
                return AccessToken(token=token, client_id=found, scopes=[], subject=found, claims={"sub": found})

        return TokenTable()
    if any(jwt):
        missing = [
            name
            for name, value in zip(("OPENAI_IMAGES_JWT_JWKS_URL", "OPENAI_IMAGES_JWT_ISSUER", "OPENAI_IMAGES_JWT_AUDIENCE"), jwt)
            if not value
        ]
        if missing:
            raise ConfigurationError(f"JWT sign-in needs all three settings; {', '.join(missing)} is not set.")
        from fastmcp.server.auth.providers.jwt import JWTVerifier

        verifier = JWTVerifier(
            jwks_uri=settings.jwt_jwks_url, issuer=settings.jwt_issuer, audience=settings.jwt_audience, base_url=base_url
        )
        return RemoteAuthProvider(
            token_verifier=verifier, authorization_servers=[settings.jwt_issuer], base_url=base_url, resource_name="openai-images-mcp"
        )
    return None

"""The shared state of one server process, and each user's share of it: settings, stores, the OpenAI client and the cost so far.

One `Services` object is made by the entry point (the MCP server, a test, later a CLI)
and passed down to the pipeline, which never reaches for a global. Everything is made
on first use, so start-up stays cheap and a missing API key only matters to a call
that needs OpenAI.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from openai_images import backends, costs, limits, storage
from openai_images.openai_api import OpenAIImages
from openai_images.renders import Renders
from openai_images.settings import Settings

if TYPE_CHECKING:
    from openai_images import s3store


@dataclass
class SessionCost:
    """What this process has spent, for the running total shown with each image."""

    usd: float = 0.0
    images: int = 0
    unpriced: int = 0

    def add(self, cost: costs.ImageCost) -> None:
        self.images += 1
        if cost.total_usd is None:
            self.unpriced += 1
        else:
            self.usd += cost.total_usd

    def text(self) -> str:
        unpriced = f", {self.unpriced} without a known price" if self.unpriced else ""
        return f"Session total: {costs.format_usd(self.usd)} for {self.images} image(s){unpriced} (estimate from reported usage)"


SAFETY_SECRET_DOCUMENT = "safety.json"


def _secret_in(document: bytes) -> bytes | None:
    """The key of a safety-secret document, or None when it is not one (damaged, or edited by hand)."""
    try:
        key = json.loads(document).get("key")
    except (ValueError, AttributeError):
        return None
    return key.encode() if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{64}", key) else None


class Services:
    """Settings (from the environment unless given), store, images, OpenAI client, prices, the session's cost and its renders.

    One object serves one user. The process's own object is the local user's (stdio, and HTTP without
    sign-in); `for_user` gives each signed-in user theirs, with their own conversations, images,
    renders and running cost, sharing the OpenAI client, the limits and the usage ledger.
    """

    def __init__(self, settings: Settings | None = None, *, user: str = limits.LOCAL_USER, parent: Services | None = None):
        if settings is not None:
            self.__dict__["settings"] = settings  # fills the cached_property below
        self.user = user
        self.parent = parent
        self.session_cost = SessionCost()
        self.renders = Renders()  # the renders this process follows, which may outlive the calls that started them
        self._users: dict[str, Services] = {}
        self._users_lock = threading.Lock()

    def for_user(self, user: str) -> Services:
        """The services of `user` (made on first use, then kept): their own store and images, everything else shared."""
        if self.parent is not None:
            return self.parent.for_user(user)
        if user == self.user:
            return self
        with self._users_lock:
            found = self._users.get(user)
            if found is None:
                key = limits.user_key(user)
                base = self.settings
                own = replace(base, output_dir=base.output_dir / key, data_dir=base.data_dir / "users" / key)
                found = self._users[user] = Services(own, user=user, parent=self)
            return found

    @property
    def remote(self) -> bool:
        """True for a signed-in user of a shared server, who has no files on this machine."""
        return self.user != limits.LOCAL_USER

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    @property
    def safety_identifier(self) -> str | None:
        """What OpenAI is told identifies this end user: for a signed-in user an HMAC of their user id, which
        is stable and cannot be turned back into the id; on stdio OPENAI_IMAGES_SAFETY_IDENTIFIER, or none."""
        if not self.remote:
            return self.settings.safety_identifier
        root = self.parent or self
        digest = hmac.new(root.safety_secret, self.user.encode(), hashlib.sha256).hexdigest()
        return f"user-{digest[:48]}"

    @cached_property
    def safety_secret(self) -> bytes:
        """OPENAI_IMAGES_SAFETY_SECRET, else a random key made once and kept with the data (the bucket, or the data folder)."""
        if self.settings.safety_secret:
            return self.settings.safety_secret.encode()
        if self.bucket is not None:
            documents: backends.Documents = self.bucket.documents("secrets")
        else:
            folder = self.settings.data_dir / "secrets"
            documents = backends.FolderDocuments(folder, folder)

        def made_once(current: bytes | None) -> bytes | None:  # kept when it is one this server wrote, else made anew
            return None if current is not None and _secret_in(current) else json.dumps({"key": secrets.token_hex(32)}).encode()

        written = documents.update(SAFETY_SECRET_DOCUMENT, made_once, limit=1024)
        key = _secret_in(written if written is not None else documents.read(SAFETY_SECRET_DOCUMENT, 1024))
        if key is None:  # never: update wrote or kept a valid one
            raise OSError(f"{documents.label}/{SAFETY_SECRET_DOCUMENT} holds no safety secret; set OPENAI_IMAGES_SAFETY_SECRET")
        return key

    @cached_property
    def bucket(self) -> s3store.Bucket | None:
        """The object store named by OPENAI_IMAGES_STORAGE, or None for the local folders."""
        if self.parent is not None:
            return self.parent.bucket
        if not self.settings.storage:
            return None
        from openai_images import s3store

        return s3store.open_bucket(self.settings.storage, endpoint=self.settings.s3_endpoint)

    @cached_property
    def store(self) -> storage.ConversationStore:
        if self.bucket is not None:
            return storage.ConversationStore(documents=self.bucket.documents(f"users/{limits.user_key(self.user)}/conversations"))
        return storage.ConversationStore(self.settings.conversations_dir)

    @cached_property
    def images(self) -> backends.Images:
        if self.bucket is not None:
            return self.bucket.images(f"users/{limits.user_key(self.user)}/images", link_seconds=self.settings.link_seconds)
        return backends.FolderImages(self.settings.output_dir)

    @cached_property
    def openai(self) -> OpenAIImages:
        return self.parent.openai if self.parent is not None else OpenAIImages(self.settings)

    @cached_property
    def ledger(self) -> limits.Ledger:
        if self.parent is not None:
            return self.parent.ledger
        if self.bucket is not None:
            return limits.Ledger(self.bucket.documents("usage"))
        usage = self.settings.usage_dir
        return limits.Ledger(backends.FolderDocuments(usage, usage))

    @cached_property
    def limits(self) -> limits.Limits:
        if self.parent is not None:
            return self.parent.limits
        settings = self.settings
        return limits.Limits(
            concurrent=settings.max_concurrent_per_user, daily_images=settings.daily_images_per_user, daily_usd=settings.daily_budget_usd
        )

    @cached_property
    def prices(self) -> dict[str, costs.Prices]:
        if self.parent is not None:
            return self.parent.prices
        return costs.parse_price_overrides(self.settings.prices) if self.settings.prices else {}

"""The shared state of one server process: settings, the conversation store, the OpenAI client and the cost so far.

One `Services` object is made by the entry point (the MCP server, a test, later a CLI)
and passed down to the pipeline, which never reaches for a global. Everything is made
on first use, so start-up stays cheap and a missing API key only matters to a call
that needs OpenAI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import costs
import limits
import storage
from openai_api import OpenAIImages
from renders import Renders
from settings import Settings


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


class Services:
    """Settings (from the environment unless given), store, OpenAI client, prices, the session's cost and its renders."""

    def __init__(self, settings: Settings | None = None):
        if settings is not None:
            self.__dict__["settings"] = settings  # fills the cached_property below
        self.session_cost = SessionCost()
        self.renders = Renders()  # the renders this process follows, which may outlive the calls that started them

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    @cached_property
    def store(self) -> storage.ConversationStore:
        return storage.ConversationStore(self.settings.conversations_dir)

    @cached_property
    def openai(self) -> OpenAIImages:
        return OpenAIImages(self.settings)

    @cached_property
    def ledger(self) -> limits.Ledger:
        return limits.Ledger(self.settings.usage_dir)

    @cached_property
    def limits(self) -> limits.Limits:
        settings = self.settings
        return limits.Limits(
            concurrent=settings.max_concurrent_per_user, daily_images=settings.daily_images_per_user, daily_usd=settings.daily_budget_usd
        )

    @cached_property
    def prices(self) -> dict[str, costs.Prices]:
        return costs.parse_price_overrides(self.settings.prices) if self.settings.prices else {}

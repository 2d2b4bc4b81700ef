"""Per-user limits, checked before a request is sent: renders at once, images per day, estimated spend per day.

The day is the UTC day. What a user has started today is kept in one small JSON file per day
under the data folder (`usage/YYYY-MM-DD.json`), updated under a lock shared by every server
process: a render is counted, at its estimated cost, when it is allowed to start; its real cost
replaces the estimate when it lands; a render that ends without an image gives both back. On
stdio the one local user is "local"; a person can cap their own daily spend this way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openai_images.backends import LOCK_TIMEOUT_SECONDS, Documents
from openai_images.errors import ImageServerError

log = logging.getLogger("openai_images_mcp.limits")

LOCAL_USER = "local"
MAX_LEDGER_BYTES = 1024 * 1024


def user_key(user: str) -> str:
    """The folder or key-prefix name of `user`: readable where it can be, and never the same for two users."""
    if user == LOCAL_USER:
        return LOCAL_USER
    readable = re.sub(r"[^a-z0-9._-]+", "-", user.lower()).strip(".-")[:40] or "user"
    return f"{readable}-{hashlib.sha256(user.encode()).hexdigest()[:12]}"


class LimitReached(ImageServerError):
    """A user is past one of their limits; nothing was sent."""


@dataclass(frozen=True, kw_only=True)
class Limits:
    """The limits in force; None means no limit."""

    concurrent: int | None = None
    daily_images: int | None = None
    daily_usd: float | None = None

    @property
    def any(self) -> bool:
        return self.concurrent is not None or self.daily_images is not None or self.daily_usd is not None


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """One render counted against today: what to give back, or to correct, later."""

    day: str
    user: str
    usd: float


class Ledger:
    """Today's images and estimated spend per user, one document per UTC day (`YYYY-MM-DD.json`)."""

    def __init__(self, documents: Documents):
        self.documents = documents

    def reserve(self, *, user: str, limits: Limits, usd: float, running: int, now: datetime | None = None) -> Reservation:
        """Count one render for `user`, or raise LimitReached naming the limit and when it resets; nothing else changes."""
        moment = now or datetime.now(UTC)
        day = moment.strftime("%Y-%m-%d")
        if limits.concurrent is not None and running >= limits.concurrent:
            raise LimitReached(
                f"{running} render(s) are already in progress, the most OPENAI_IMAGES_MAX_CONCURRENT_PER_USER={limits.concurrent} "
                "allows at once; nothing was sent. The limit frees up as soon as one lands: collect it with openai_get_image, "
                "or try again in a moment."
            )

        def count(ledger: dict[str, dict[str, float]]) -> None:
            used = ledger.setdefault(user, {"images": 0, "usd": 0.0})
            resets = _reset_text(moment)
            if limits.daily_images is not None and used["images"] >= limits.daily_images:
                raise LimitReached(
                    f"Today's {used['images']} image(s) reach OPENAI_IMAGES_DAILY_IMAGES_PER_USER={limits.daily_images}; "
                    f"nothing was sent. The count resets {resets}."
                )
            if limits.daily_usd is not None and used["usd"] + usd > limits.daily_usd:
                raise LimitReached(
                    f"This image (estimated ${usd:.4f}) would take today's estimated spend from ${used['usd']:.4f} past "
                    f"OPENAI_IMAGES_DAILY_BUDGET_USD=${limits.daily_usd:g}; nothing was sent. The budget resets {resets}; "
                    "a lower quality or a smaller size costs less."
                )
            used["images"] += 1
            used["usd"] = round(used["usd"] + usd, 6)

        self._change(day, count)
        return Reservation(day=day, user=user, usd=usd)

    def settle(self, reservation: Reservation, *, usd: float | None, landed: bool) -> None:
        """The render ended: keep it at its real cost (`usd`; None keeps the estimate), or give it back if it made no image."""

        def correct(ledger: dict[str, dict[str, float]]) -> None:
            used = ledger.setdefault(reservation.user, {"images": 0, "usd": 0.0})
            if landed:
                used["usd"] = round(max(0.0, used["usd"] - reservation.usd + (reservation.usd if usd is None else usd)), 6)
            else:
                used["images"] = max(0, used["images"] - 1)
                used["usd"] = round(max(0.0, used["usd"] - reservation.usd), 6)

        try:
            self._change(reservation.day, correct)
        except (OSError, ImageServerError) as exc:  # the image is what matters; the ledger is a courtesy
            log.warning("Could not update the usage ledger for %s: %s", reservation.day, exc)

    def _change(self, day: str, change: Callable[[dict[str, dict[str, float]]], None]) -> None:
        """Apply `change` to the day's counts atomically against every other process or replica."""

        def apply(current: bytes | None) -> bytes:
            ledger = self._parsed(day, current)
            change(ledger)
            return json.dumps({"day": day, "users": ledger}, indent=2).encode()

        try:
            self.documents.update(f"{day}.json", apply, MAX_LEDGER_BYTES)
        except TimeoutError:
            raise LimitReached(
                f"The usage ledger in {self.documents.label} stayed locked for {LOCK_TIMEOUT_SECONDS} s; try again."
            ) from None

    def _parsed(self, day: str, raw: bytes | None) -> dict[str, dict[str, float]]:
        """The day's counts; a missing or damaged document counts as nothing used (and is rewritten whole)."""
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            log.warning("The usage ledger %s/%s.json is unreadable (%s); counting from zero", self.documents.label, day, exc)
            return {}
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            return {}
        return {
            str(name): {"images": int(used.get("images", 0)), "usd": float(used.get("usd", 0.0))}
            for name, used in users.items()
            if isinstance(used, dict) and isinstance(used.get("images", 0), int) and isinstance(used.get("usd", 0.0), (int, float))
        }


def _reset_text(moment: datetime) -> str:
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = int((midnight - moment).total_seconds())
    return f"at 00:00 UTC, in {left // 3600} h {left % 3600 // 60} min"

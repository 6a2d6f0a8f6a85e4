"""Reading galleries: filters, keyset pagination and the in-flight poll."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.module_loading import import_string
from django.utils.text import slugify

from studio.upstream import facts

from . import search
from .models import Generation, State

PAGE_SIZE = 24
ACTIVE = "active"  # the state filter's value for "anything still in flight"
# The via filter's values: made through the JSON API (with a token), or in the studio's pages.
VIA = ["api", "web"]


@dataclass
class Filters:
    q: str = ""
    state: str = ""
    model: str = ""
    type: str = ""
    favourite: bool = False
    ratio: str = ""
    style: str = ""
    since: str = ""  # YYYY-MM-DD, made on or after (UTC)
    until: str = ""  # YYYY-MM-DD, made on or before (UTC)
    team: str = ""  # a team's slug: what is shared with it
    collection: str = ""  # a collection's id: what is in it (see COLLECTION_FILTER)
    via: str = ""  # "api" or "web"

    @classmethod
    def from_request(cls, params) -> Filters:
        state = params.get("state", "")
        model = params.get("model", "")
        kind = params.get("type", "")
        return cls(
            # No prompt holds NUL (the form refuses it), and PostgreSQL cannot compare one.
            q=params.get("q", "").replace("\x00", "").strip()[:200],
            state=state if state in State.values or state == ACTIVE else "",
            model=model if model in facts.MODELS else "",
            type=kind if kind in facts.TYPES else "",
            favourite=params.get("favourite") in ("1", "on", "true"),
            ratio=_one_of(params.get("ratio", ""), facts.ASPECT_RATIOS),
            style=_one_of(params.get("style", ""), facts.STYLES),
            since=_day(params.get("since", "")),
            until=_day(params.get("until", "")),
            team=slugify(params.get("team", ""))[:100],
            collection=_digits(params.get("collection", "")),
            via=_one_of(params.get("via", ""), VIA),
        )

    def apply(self, qs: QuerySet[Generation], *, user=None) -> QuerySet[Generation]:
        """`user`: whose stars the favourites filter means (each person has their own)."""
        if self.q:
            qs = search.matching(qs, self.q)
        if self.state:
            qs = qs.in_flight() if self.state == ACTIVE else qs.filter(state=self.state)
        same = {"model": self.model, "type": self.type, "aspect_ratio": self.ratio}
        same |= {"style": self.style, "team__slug": self.team}
        qs = qs.filter(**{field: value for field, value in same.items() if value})
        if self.favourite:
            qs = qs.filter(favourites__user=user) if user is not None else qs.none()
        if self.via:
            qs = qs.filter(api_token__isnull=self.via == "web")
        if self.since:
            qs = qs.filter(created_at__gte=_midnight(self.since))
        if self.until and date.fromisoformat(self.until) < date.max:
            # (the last day there is has no end to compare with: it bounds nothing)
            qs = qs.filter(created_at__lt=_midnight(self.until) + timedelta(days=1))
        if self.collection:
            # The collections app (a layer above) says what is in one and who may see it.
            in_collection = import_string(settings.COLLECTION_FILTER)
            qs = in_collection(qs, user=user, collection_id=int(self.collection))
        return qs

    @property
    def active(self) -> bool:
        return any(self.__dict__.values())

    def querystring(self) -> str:

        params = {k: v for k, v in self.__dict__.items() if v}
        if self.favourite:
            params["favourite"] = "1"
        return urlencode(params)


def encode_cursor(gen: Generation) -> str:
    raw = f"{gen.created_at.isoformat()}|{gen.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, pk = base64.urlsafe_b64decode(padded).decode().split("|", 1)
        when = parse_datetime(created)
        return (when, int(pk)) if when else None
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Page:
    items: list[Generation]
    next_cursor: str | None


# "Load more" puts `through=<last card>` in the address so that Back from a detail page
# draws every card that was loaded (and the browser can restore the scroll position).
MAX_THROUGH = 20 * PAGE_SIZE


def page_of(
    qs: QuerySet[Generation],
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    *,
    through: str | None = None,
) -> Page:
    """One page, newest first, by keyset (created_at, id): no OFFSET however deep. With
    `through` (and no cursor), the first page reaches down to that card."""
    qs = qs.order_by("-created_at", "-id").select_related("user", "team", "batch", "api_token")
    qs = qs.prefetch_related("outputs")
    position = decode_cursor(cursor) if cursor else None
    if position:
        created, pk = position
        qs = qs.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    elif through and (end := decode_cursor(through)):
        created, pk = end
        down_to = qs.filter(Q(created_at__gt=created) | Q(created_at=created, pk__gte=pk))
        size = min(max(size, down_to.count()), MAX_THROUGH)
    items = list(qs[: size + 1])
    more = len(items) > size
    items = items[:size]
    return Page(items=items, next_cursor=encode_cursor(items[-1]) if more and items else None)


def neighbours(qs: QuerySet[Generation], gen: Generation) -> tuple[int | None, int | None]:
    """The ids of the cards just before (newer) and just after (older) `gen` in a gallery's
    order (newest first, by created_at then id): two indexed queries, however long it is."""
    created, pk = gen.created_at, gen.pk
    newer = qs.filter(Q(created_at__gt=created) | Q(created_at=created, pk__gt=pk))
    older = qs.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    before = newer.order_by("created_at", "id").values_list("pk", flat=True).first()
    after = older.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    return before, after


def _one_of(value: str, allowed: list[str]) -> str:
    return value if value in allowed else ""


def _digits(value: str) -> str:
    value = value.strip()
    return value if value.isdigit() and len(value) <= 18 else ""


def _day(value: str) -> str:
    try:
        day = parse_date(value.strip()[:10])
    except ValueError:
        return ""
    return day.isoformat() if day else ""


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=UTC)

"""A generation: its states, the conditions asked of its rows, its small behaviour."""

from __future__ import annotations

import logging
import math
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from studio.upstream import facts


class State(models.TextChoices):
    PENDING = "pending"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Lineage(models.TextChoices):
    """How a generation came from another (Generation.derived_from)."""

    EDIT = "edit"
    REMIX = "remix"


IN_FLIGHT = [State.PENDING, State.QUEUED, State.PROCESSING]
# Sent and accepted: the provider is running them (its own words for the two states).
AT_PROVIDER = [State.QUEUED, State.PROCESSING]
FINAL = [State.COMPLETED, State.FAILED]

# The failure code of what the provider refused on content grounds: the review queue.
MODERATED = "content_moderated"

# Saved and never sent: not claimed by a submit, no upstream job. A submit claims such a
# row with a conditional UPDATE on this condition, so whoever else changes it (a
# suspension failing it) uses the same condition and exactly one of them wins.
UNSENT = Q(state=State.PENDING, submit_claimed_at__isnull=True, upstream_id="")
# A failure the provider gave on content grounds (what moderation reviews and appeals).
MODERATED_FAILURE = Q(state=State.FAILED, failure_code=MODERATED)

# The request parameters, named as in the API (the POST body, Retry, Remix).
PARAM_FIELDS = ["prompt", "type", "aspect_ratio", "style", "model", "output_format", "web_search"]

# The columns the pipeline owns. Saving only these means a worker never overwrites what a
# person changed meanwhile (a favourite star, a team).
PIPELINE_FIELDS = [
    "state",
    "failure_code",
    "failure_reason",
    "request_ids",
    "history",
    "upstream_id",
    "submitted_at",
    "completed_at",
    "submit_claimed_at",
    "submit_attempts",
    "next_attempt_at",
    "poll_count",
    "upstream_done_at",
    "download_failures",
    "last_polled_at",
    "updated_at",
]

log = logging.getLogger("studio.generations")


def nearest_ratio(width: int, height: int) -> str:
    """The API's aspect ratio ("16:9") closest to width × height (compared as logarithms, so
    2:1 and 1:2 are as far from 1:1)."""

    def distance(ratio: str) -> float:
        w, h = (int(n) for n in ratio.split(":"))
        return abs(math.log(width / height) - math.log(w / h))

    return min(facts.ASPECT_RATIOS, key=distance)


def now_iso() -> str:
    """A timestamp as the history and request log keep it."""
    return timezone.now().isoformat(timespec="seconds")


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class GenerationQuerySet(models.QuerySet):
    """The conditions the pipeline, the budget and moderation ask of rows, named once."""

    def in_flight(self) -> GenerationQuerySet:
        """Not finished yet: saved, or at the provider."""
        return self.filter(state__in=IN_FLIGHT)

    def at_provider(self) -> GenerationQuerySet:
        """Sent and accepted: queued or processing upstream."""
        return self.filter(state__in=AT_PROVIDER)

    def unsent(self) -> GenerationQuerySet:
        """Saved, never claimed by a submit (see UNSENT)."""
        return self.filter(UNSENT)

    def sending(self) -> GenerationQuerySet:
        """Claimed by a submit that has not finished: the POST may be under way."""
        return self.filter(state=State.PENDING, submit_claimed_at__isnull=False)

    def moderated(self) -> GenerationQuerySet:
        """Failed on content grounds: the review queue."""
        return self.filter(MODERATED_FAILURE)

    def kept(self) -> GenerationQuerySet:
        """Not in the trash: what every gallery, page, file and API answer may show."""
        return self.filter(trashed_at__isnull=True)

    def in_trash(self) -> GenerationQuerySet:
        """Deleted, restorable: in the trash and its files not purged yet."""
        return self.filter(trashed_at__isnull=False, purged_at__isnull=True)

    def due(self, now) -> GenerationQuerySet:
        """Whose next step (a send or a poll) is due at `now`, the most overdue first."""
        return self.filter(next_attempt_at__lte=now).order_by("next_attempt_at")


class Generation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="generations"
    )
    # The team whose budget the job counts against: the one it was shared with at submit,
    # kept when it is shared elsewhere or unshared later (studio.usage sums on it).
    billed_team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Request parameters, named as in the API.
    prompt = models.TextField(max_length=facts.PROMPT_MAX_CHARS)
    type = models.CharField(max_length=12, choices=_choices(facts.TYPES), default="image")
    aspect_ratio = models.CharField(
        max_length=5, choices=_choices(facts.ASPECT_RATIOS), default="1:1"
    )
    style = models.CharField(max_length=10, choices=_choices(facts.STYLES), default="auto")
    model = models.CharField(max_length=12, choices=_choices(facts.MODELS), default="uni-1")
    output_format = models.CharField(
        max_length=4, choices=_choices(facts.OUTPUT_FORMATS), default="png"
    )
    web_search = models.BooleanField(default=False)

    # Upstream job.
    upstream_id = models.CharField(max_length=100, blank=True, db_index=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.TextField(blank=True)
    request_ids = models.JSONField(default=list, blank=True)
    history = models.JSONField(default=list, blank=True)
    estimated_price = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("0"))
    # When it was last shared with `team` (None while private): the team gallery's
    # "anything new?" check asks for rows shared after its last look.
    shared_at = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    # What it was made from: a Remix repeats `derived_from`, an "Edit this image"
    # edits one of its outputs. Set from the prefilled form, only to what the person may see.
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derivatives"
    )
    derived_kind = models.CharField(max_length=6, choices=Lineage.choices, blank=True)
    # One image of a multi-image submit, at 1-based `batch_position`; a retry of a failed
    # member takes over its batch and position (see batches.py).
    batch = models.ForeignKey(
        "Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    batch_position = models.PositiveSmallIntegerField(null=True, blank=True)
    # Made through the JSON API: with which token, for which of the caller's end-users (as
    # the caller named them; upstream only ever sees an opaque id derived from it).
    api_token = models.ForeignKey(
        "accounts.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    end_user = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # In the trash since (not a job state: a trashed job still runs and still costs);
    # purged: its files are gone, the row stays so that a month's spend never drops.
    trashed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Pipeline bookkeeping.
    submit_claimed_at = models.DateTimeField(null=True, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    poll_count = models.PositiveIntegerField(default=0)
    # When the provider finished the job (its own `completed_at`, else when a poll first saw
    # it done): its output URLs answer for an hour from then, so download retries stop there.
    upstream_done_at = models.DateTimeField(null=True, blank=True)
    # Failed downloads per output ({"<position>": count}) since the job completed upstream:
    # each output's retries back off on its own count.
    download_failures = models.JSONField(default=dict, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="gen_user_recent"),
            models.Index(fields=["team", "-created_at", "-id"], name="gen_team_recent"),
            models.Index(fields=["team", "shared_at"], name="gen_team_shared"),
            models.Index(fields=["state", "next_attempt_at"], name="gen_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "batch_position"],
                condition=Q(batch__isnull=False),
                name="one_member_per_batch_slot",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.prompt[:40]}"

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def moderated(self) -> bool:
        return self.state == State.FAILED and self.failure_code == MODERATED

    @property
    def failure(self) -> facts.FailureCode | None:
        return facts.failure_info(self.failure_code) if self.failure_code else None

    @property
    def waiting_for_slot(self) -> bool:
        """Saved and due to be sent, but held back by the shared request budget (or not yet
        sent for the first time): what the card says while the row stays `pending`."""
        return _waiting(
            self.state, self.submit_claimed_at, self.next_attempt_at, self.submit_attempts
        )

    @property
    def shape(self) -> str:
        """The aspect ratio the gallery draws this card in (`data-shape`, one of the API's
        ratios, each styled in studio.css): its first output's, nearest of the API's ratios,
        else the ratio asked for. Uses the prefetched outputs when the gallery has them."""
        out = next(iter(self.outputs.all()), None) if self.state == State.COMPLETED else None
        if out is None or not out.width or not out.height:
            return self.aspect_ratio
        return nearest_ratio(out.width, out.height)

    @property
    def card_output(self):
        """The output a gallery card shows: a completed row's first (from the prefetched
        outputs when there are), None before, without asking the database for it."""
        if self.state != State.COMPLETED:
            return None
        return next(iter(self.outputs.all()), None)

    @property
    def via_api(self) -> bool:
        return self.api_token_id is not None

    @property
    def via_label(self) -> str:
        """ "via API · <token name>" for a row made through the JSON API, else empty."""
        return f"via API · {self.api_token.name}" if self.api_token_id is not None else ""

    @property
    def retryable(self) -> bool:
        return self.state == State.FAILED and bool(self.failure) and self.failure.retryable

    @property
    def card_version(self) -> str:
        """What this row's gallery card was drawn from, as the poll compares it."""
        return card_version(*(getattr(self, name) for name in CARD_VERSION_FIELDS))

    def params(self) -> dict:
        """The request parameters, as the form's cleaned data names them."""
        return {f: getattr(self, f) for f in PARAM_FIELDS}

    @property
    def download_stem(self) -> str:
        """A readable file name without its extension: the first words of the prompt and
        the id."""
        words = slugify(self.prompt)[:40].strip("-") or "image"
        return f"studio-{self.pk}-{words}"

    # --- state changes (in memory; the caller saves the columns it owns) ---------------

    def share_with(self, team) -> None:
        """Share with `team` (None: only me); in memory, the caller saves team, shared_at."""
        self.team = team
        self.shared_at = timezone.now() if team is not None else None

    def set_state(self, state: str) -> None:
        """Move to `state`, noting the step in the history (a repeat is not a step)."""
        if self.state != state:
            self.state = state
            self.history = self.history + [{"state": state, "at": now_iso()}]

    def fail(self, code: str, reason: str) -> None:
        """End in failure, keeping the code and reason exactly as given."""
        # The code first: the transition hooks read it with the new state.
        self.failure_code = code
        self.failure_reason = reason
        self.set_state(State.FAILED)
        self.completed_at = timezone.now()
        self.next_attempt_at = None

    def note_request(self, method: str, request_id: str, status: int | None) -> None:
        """Log one upstream request (its id is what the provider's support asks for)."""
        entry = {"method": method, "request_id": request_id, "status": status, "at": now_iso()}
        # Bounded: a job polled for an hour must not grow the row without limit.
        self.request_ids = (self.request_ids + [entry])[-50:]

    def history_steps(self) -> list[dict]:
        """The state history with parsed times and seconds since the first step."""
        steps = []
        for entry in self.history:
            at = parse_datetime(entry.get("at", ""))
            if at is None:
                continue
            start = steps[0]["at"] if steps else at
            steps.append(
                {
                    "state": entry.get("state", ""),
                    "at": at,
                    "since_start": int((at - start).total_seconds()),
                }
            )
        return steps

    def elapsed_seconds(self) -> int:
        end = self.completed_at or timezone.now()
        return max(0, int((end - self.created_at).total_seconds()))


def _waiting(state, submit_claimed_at, next_attempt_at, submit_attempts) -> bool:
    return (
        state == State.PENDING
        and submit_claimed_at is None
        and next_attempt_at is not None
        and submit_attempts == 0
    )


# The columns a card's version is made of, in card_version's order (the poll reads these).
CARD_VERSION_FIELDS = (
    "state",
    "team_id",
    "submit_claimed_at",
    "next_attempt_at",
    "submit_attempts",
)


def card_version(state, team_id, submit_claimed_at, next_attempt_at, submit_attempts) -> str:
    """A card's version, which the gallery poll compares: what an in-flight card draws of its
    row that can still change, its state, whether it is held back and its team (sharing).
    Not `updated_at`: the pipeline saves the row at every GET of the job, which changes
    nothing drawn, and a version made of it redrew every in-flight card at nearly every poll
    (the server's work, the bytes, and a card menu left open closed under the person)."""
    waiting = _waiting(state, submit_claimed_at, next_attempt_at, submit_attempts)
    return f"{state}-{int(waiting)}-{team_id or 0}"

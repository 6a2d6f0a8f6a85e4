"""The generations app's models, one module per concern: the generation itself
(`generation`), what hangs off it (`parts`), the worker's own rows (`worker`). Everything is
imported from here, as when this was one module."""

from .generation import (
    AT_PROVIDER,
    CARD_VERSION_FIELDS,
    FINAL,
    IN_FLIGHT,
    MODERATED,
    MODERATED_FAILURE,
    PARAM_FIELDS,
    PIPELINE_FIELDS,
    UNSENT,
    Generation,
    GenerationQuerySet,
    Lineage,
    State,
    card_version,
    nearest_ratio,
    now_iso,
)
from .parts import Batch, Favourite, Output, Reference, SavedSearch, SubmissionKey
from .worker import HeartbeatManager, PollLease, RequestBudget, WorkerHeartbeat

__all__ = [
    "AT_PROVIDER",
    "CARD_VERSION_FIELDS",
    "FINAL",
    "IN_FLIGHT",
    "MODERATED",
    "MODERATED_FAILURE",
    "PARAM_FIELDS",
    "PIPELINE_FIELDS",
    "UNSENT",
    "Batch",
    "Favourite",
    "Generation",
    "GenerationQuerySet",
    "HeartbeatManager",
    "Lineage",
    "Output",
    "PollLease",
    "Reference",
    "RequestBudget",
    "SavedSearch",
    "State",
    "SubmissionKey",
    "WorkerHeartbeat",
    "card_version",
    "nearest_ratio",
    "now_iso",
]

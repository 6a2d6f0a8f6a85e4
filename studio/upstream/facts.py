"""What the provider (the Luma Agents API) documents about its API, kept in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ASPECT_RATIOS = ["3:1", "2:1", "16:9", "3:2", "1:1", "2:3", "9:16", "1:2", "1:3"]
STYLES = ["auto", "manga"]
MODELS = ["uni-1", "uni-1-max"]
OUTPUT_FORMATS = ["png", "jpeg"]
TYPES = ["image", "image_edit"]
STATES = ["queued", "processing", "completed", "failed"]

PROMPT_MAX_CHARS = 6000
MAX_REFS = {"image": 9, "image_edit": 8}
INLINE_MEDIA_TYPES = ["image/jpeg", "image/png", "image/webp"]
INLINE_MAX_BYTES = 50 * 1024 * 1024
OUTPUT_LONG_SIDE = 2048

# Status codes of POST/GET that a client may retry (after Retry-After, or with backoff).
RETRYABLE_STATUSES = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class FailureCode:
    code: str
    meaning: str
    advice: str
    retryable: bool


FAILURE_CODES: dict[str, FailureCode] = {
    f.code: f
    for f in [
        FailureCode(
            "content_moderated",
            "The prompt or an input image was blocked by the provider's content guidelines.",
            "Change the prompt or the input images, then submit again.",
            False,
        ),
        FailureCode(
            "generation_failed",
            "The model hit an internal error.",
            "Nothing is wrong with your request: try again.",
            True,
        ),
        FailureCode(
            "budget_exhausted",
            # The studio's one provider account, not the person's monthly cap (a cap
            # refuses before anything is sent, so it never shows as a failed job).
            "The studio's account with the image provider is out of credit.",
            "This is not your monthly budget: contact an admin to add credit, then try again.",
            False,
        ),
        FailureCode(
            "output_not_found",
            "The finished image could not be retrieved.",
            "Try again.",
            True,
        ),
        FailureCode(
            "image_too_large",
            "An input image exceeded the size limit.",
            "Resize the image (at most 50 MB) and submit again.",
            False,
        ),
        FailureCode(
            "unsupported_format",
            "An input file was in a format the provider does not accept.",
            "Convert it to JPEG, PNG or WebP and submit again.",
            False,
        ),
        FailureCode(
            "corrupt_input",
            "An input file could not be decoded.",
            "Replace the file and submit again.",
            False,
        ),
        FailureCode(
            "invalid_request",
            "The provider rejected the request.",
            "Check the settings and the prompt, then submit again.",
            False,
        ),
        FailureCode(
            "rate_limited",
            "Too many requests or jobs at once.",
            "Wait a minute, then try again.",
            True,
        ),
        # Local codes, for failures that happen on our side of the wire.
        FailureCode(
            "access_denied",
            "The API key was refused (missing, invalid, or the account is suspended).",
            "An administrator must check LUMA_AGENTS_API_KEY and the account.",
            False,
        ),
        FailureCode(
            "upstream_unavailable",
            "The provider could not be reached after several attempts.",
            "Try again in a few minutes.",
            True,
        ),
        FailureCode(
            "submit_interrupted",
            "The connection broke while the job was being sent, so it is unknown whether "
            "the provider received it. It was not resent automatically to avoid paying twice.",
            "Try again if no image arrives.",
            True,
        ),
        FailureCode(
            "timed_out",
            "The job took far longer than expected and was abandoned.",
            "Try again.",
            True,
        ),
        FailureCode(
            "suspended",
            "Your account was suspended before this job was sent, so it was not sent.",
            "Nothing was charged for it.",
            False,
        ),
    ]
}
UPSTREAM_FAILURE_CODES = [
    "content_moderated",
    "generation_failed",
    "budget_exhausted",
    "output_not_found",
    "image_too_large",
    "unsupported_format",
    "corrupt_input",
    "invalid_request",
    "rate_limited",
]


def failure_info(code: str) -> FailureCode:
    return FAILURE_CODES.get(
        code, FailureCode(code, "The job failed.", "Try again, or change the request.", False)
    )


# Price per image in USD (pay-as-you-go), an estimate, not the provider's bill.
_BASE_PRICE = {
    ("uni-1", False): Decimal("0.0404"),
    ("uni-1", True): Decimal("0.0434"),
    ("uni-1-max", False): Decimal("0.1000"),
    ("uni-1-max", True): Decimal("0.1030"),
}
_PER_EXTRA_REF = Decimal("0.0030")


def estimate_price(*, model: str, type: str, ref_count: int, count: int = 1) -> Decimal:
    """The provider's published prices, for `count` images: an edit or any reference uses
    the 'edit' base rate, and each reference after the first adds 0.003."""
    uses_images = type == "image_edit" or ref_count > 0
    price = _BASE_PRICE[(model, uses_images)]
    if ref_count > 1:
        price += _PER_EXTRA_REF * (ref_count - 1)
    return price * count


def price_table() -> dict[str, dict[str, list[str]]]:
    """`estimate_price` for every model, type and reference count (0..MAX_REFS), as strings:
    the composer looks prices up in it as the form changes, so the rule lives only here."""
    return {
        model: {
            type_: [
                str(estimate_price(model=model, type=type_, ref_count=n))
                for n in range(MAX_REFS[type_] + 1)
            ]
            for type_ in TYPES
        }
        for model in MODELS
    }

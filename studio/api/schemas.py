"""Typed request and response bodies: the upstream reference's Generation API (Luma shape)
and OpenAI's Images API (the fields the studio reads; other OpenAI fields are ignored)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from studio.upstream import facts

AspectRatio = Literal[tuple(facts.ASPECT_RATIOS)]  # type: ignore[valid-type]
Model = Literal[tuple(facts.MODELS)]  # type: ignore[valid-type]
Style = Literal[tuple(facts.STYLES)]  # type: ignore[valid-type]
OutputFormat = Literal[tuple(facts.OUTPUT_FORMATS)]  # type: ignore[valid-type]
GenerationType = Literal[tuple(facts.TYPES)]  # type: ignore[valid-type]
State = Literal["queued", "processing", "completed", "failed"]


class ImageIn(Schema):
    """An input image: `url`, or base64 `data` with its `media_type` (not both)."""

    data: str | None = Field(None, description="Base64-encoded image data")
    media_type: str | None = Field(
        None, description="MIME type (e.g. image/jpeg). Required with data."
    )
    url: str | None = Field(None, description="Publicly accessible image URL")


class GenerationIn(Schema):
    prompt: str = Field(description="Text prompt", max_length=facts.PROMPT_MAX_CHARS)
    aspect_ratio: AspectRatio | None = None
    image_ref: list[ImageIn] | None = Field(
        None, description="Reference images: up to 9 for type 'image', 8 for 'image_edit'."
    )
    model: Model | None = None
    output_format: OutputFormat | None = None
    source: ImageIn | None = Field(None, description="The image to edit (type image_edit)")
    style: Style | None = None
    type: GenerationType | None = None
    user_id: str | None = Field(
        None,
        max_length=200,
        description="Your end-user's stable identifier; upstream sees only an opaque id "
        "derived from it.",
    )
    web_search: bool | None = None


class OutputOut(Schema):
    type: str
    url: str = Field(
        description="A studio URL answering the image without any header, valid for hours"
    )


class GenerationOut(Schema):
    id: str
    created_at: str
    model: Model
    state: State
    type: GenerationType
    failure_code: str | None = None
    failure_reason: str | None = None
    output: list[OutputOut] | None = None


class GenerationListOut(Schema):
    data: list[GenerationOut]
    has_more: bool


class DetailOut(Schema):
    detail: Any


# --- OpenAI shape ------------------------------------------------------------------------


class ImagesIn(Schema):
    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(max_length=facts.PROMPT_MAX_CHARS)
    model: Model | None = None
    n: int | None = Field(None, description="Images to make: 1 to STUDIO_BATCH_MAX (a batch)")
    size: str | None = Field(
        None, description="WIDTHxHEIGHT (the nearest of the nine aspect ratios) or auto"
    )
    response_format: Literal["b64_json", "url"] | None = None
    output_format: OutputFormat | None = None
    user: str | None = Field(None, max_length=200)


class ImageOut(Schema):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImagesOut(Schema):
    created: int
    data: list[ImageOut]


class ModelOut(Schema):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelsOut(Schema):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class OpenAIErrorBody(Schema):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorOut(Schema):
    error: OpenAIErrorBody

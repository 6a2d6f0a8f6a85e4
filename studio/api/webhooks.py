"""`POST/GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}`: a token's person's webhook
endpoints, as at /settings/webhooks/ (the rules are studio.webhooks.services')."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from studio.webhooks import services
from studio.webhooks.models import Endpoint

from .schemas import DetailOut

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str
    events: list[str] = ["generation.completed", "generation.failed"]


class EndpointOut(Schema):
    id: str
    url: str
    events: list[str]
    created_at: datetime
    disabled: bool
    disabled_reason: str | None = None


class EndpointCreatedOut(EndpointOut):
    secret: str


class EndpointListOut(Schema):
    data: list[EndpointOut]


def _out(endpoint: Endpoint) -> dict:
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "events": endpoint.events,
        "created_at": endpoint.created_at,
        "disabled": not endpoint.active,
        "disabled_reason": endpoint.disabled_reason or None,
    }


@router.post(
    "/webhooks",
    response={201: EndpointCreatedOut, 400: DetailOut, 401: DetailOut, 422: DetailOut},
    summary="Add a webhook endpoint (its signing secret is in this answer only)",
)
def create_webhook(request: HttpRequest, body: EndpointIn):
    try:
        endpoint = services.create_endpoint(
            user=request.auth.user, url=body.url, events=body.events
        )
    except services.EndpointRefused as refused:
        return Status(400, {"detail": refused.message})
    return Status(201, {**_out(endpoint), "secret": endpoint.secret})


@router.get("/webhooks", response={200: EndpointListOut, 401: DetailOut})
def list_webhooks(request: HttpRequest):
    rows = Endpoint.objects.filter(user=request.auth.user)
    return Status(200, {"data": [_out(e) for e in rows]})


@router.delete("/webhooks/{endpoint_id}", response={204: None, 401: DetailOut, 404: DetailOut})
def delete_webhook(request: HttpRequest, endpoint_id: str):
    endpoint = None
    if endpoint_id.isdigit():
        endpoint = Endpoint.objects.filter(pk=int(endpoint_id), user=request.auth.user).first()
    if endpoint is None:
        return Status(404, {"detail": "No such webhook endpoint."})
    endpoint.delete()
    return Status(204, None)

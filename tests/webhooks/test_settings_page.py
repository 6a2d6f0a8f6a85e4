"""The `/settings/webhooks/` page: create (secret shown once), list with attempts, replay,
rotate, turn on, delete, the e-mail switch; only one's own endpoints."""

from __future__ import annotations

from django.core import mail

from studio.webhooks.models import Attempt, Delivery, Endpoint, NotificationPreference
from tests.webhooks.helpers import ended_job

URL = "/settings/webhooks/"


def test_the_page_needs_a_sign_in(client):
    assert client.get(URL).status_code == 302


def test_an_endpoint_is_created_and_its_secret_shown_once(owner_client, owner):
    answer = owner_client.post(
        URL, {"url": "https://hooks.partner.example/in", "events": ["generation.completed"]}
    )
    assert answer.status_code == 201
    endpoint = Endpoint.objects.get(user=owner)
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in answer.content.decode()
    assert endpoint.events == ["generation.completed"]
    assert "no-store" in answer["Cache-Control"] or "no-cache" in answer["Cache-Control"]
    again = owner_client.get(URL).content.decode()
    assert "hooks.partner.example/in" in again
    assert endpoint.secret not in again


def test_a_bad_url_is_refused_with_a_message(owner_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url, words in [
        ("ftp://example.com/", "only http and https"),
        ("http://127.0.0.1:8000/", "refused"),
        ("", "Enter the URL"),
    ]:
        answer = owner_client.post(URL, {"url": url, "events": ["generation.failed"]})
        assert answer.status_code == 400
        assert words.lower() in answer.content.decode().lower()
    answer = owner_client.post(URL, {"url": "https://example.com/"})
    assert answer.status_code == 400 and "Choose at least one event" in answer.content.decode()
    assert not Endpoint.objects.exists()


def test_attempts_are_listed_and_a_replay_goes_to_the_worker(
    owner_client, owner, endpoint, receiver, webhook_tasks
):
    receiver.answers = [("body", 500, b"receiver says no"), 200]
    ended_job(owner)
    webhook_tasks.run_all()
    page = owner_client.get(URL).content.decode()
    assert page.count("data-attempt") == 2
    assert "receiver says no" in page and " ms" in page
    d = Delivery.objects.get()
    answer = owner_client.post(f"/settings/webhooks/deliveries/{d.pk}/replay/")
    assert answer.status_code == 302
    assert receiver.received and len(receiver.received) == 2  # nothing sent by the web request
    webhook_tasks.run_all()
    assert len(receiver.received) == 3
    assert Attempt.objects.filter(replay=True).count() == 1


def test_others_endpoints_and_deliveries_answer_404(
    client, outsider, owner, endpoint, receiver, webhook_tasks
):
    ended_job(owner)
    d = Delivery.objects.get()
    client.force_login(outsider)
    assert endpoint.url not in client.get(URL).content.decode()
    for path in [
        f"/settings/webhooks/{endpoint.pk}/delete/",
        f"/settings/webhooks/{endpoint.pk}/rotate/",
        f"/settings/webhooks/{endpoint.pk}/enable/",
        f"/settings/webhooks/deliveries/{d.pk}/replay/",
    ]:
        assert client.post(path).status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_rotation_shows_the_new_secret_and_keeps_the_old_signing(owner_client, endpoint):
    old = endpoint.secret
    answer = owner_client.post(f"/settings/webhooks/{endpoint.pk}/rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in answer.content.decode()
    assert endpoint.signing_secrets() == [endpoint.secret, old]


def test_a_disabled_endpoint_shows_a_banner_and_can_be_turned_on(owner_client, endpoint):
    endpoint.disable("Every delivery failed for 3 days.")
    endpoint.save()
    page = owner_client.get(URL).content.decode()
    assert "data-disabled-banner" in page and "failed for 3 days" in page
    owner_client.post(f"/settings/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.active
    assert "data-disabled-banner" not in owner_client.get(URL).content.decode()


def test_delete(owner_client, endpoint):
    assert owner_client.post(f"/settings/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not Endpoint.objects.exists()


def test_the_email_switch(owner_client, owner):
    owner_client.post("/settings/notifications/", {"email_when_done": "on"})
    assert NotificationPreference.objects.get(user=owner).email_when_done
    owner_client.post("/settings/notifications/", {})
    assert not NotificationPreference.objects.get(user=owner).email_when_done
    assert mail.outbox == []

from studio.webhooks.models import Delivery, Endpoint
from tests.webhooks.helpers import ended_job


def test_staff_see_endpoints_and_deliveries_but_never_a_secret(
    admin_client, owner, endpoint, receiver, webhook_tasks
):
    receiver.answers = [("body", 500, b"down for maintenance"), 200]
    ended_job(owner)
    webhook_tasks.run_all()
    listing = admin_client.get("/admin/webhooks/endpoint/").content.decode()
    assert endpoint.url in listing
    page = admin_client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page
    d = Delivery.objects.get()
    page = admin_client.get(f"/admin/webhooks/delivery/{d.pk}/change/").content.decode()
    assert "down for maintenance" in page
    assert Endpoint.objects.get().secret == endpoint.secret

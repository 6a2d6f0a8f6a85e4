from django.urls import path

from . import views

urlpatterns = [
    path("settings/webhooks/", views.endpoints, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/rotate/", views.rotate, name="webhook-rotate"),
    path("settings/webhooks/<int:endpoint_id>/enable/", views.enable, name="webhook-enable"),
    path("settings/webhooks/<int:endpoint_id>/delete/", views.delete, name="webhook-delete"),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/replay/",
        views.replay,
        name="webhook-replay",
    ),
    path("settings/notifications/", views.notifications, name="notification-settings"),
]

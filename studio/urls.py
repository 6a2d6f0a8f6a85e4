from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from studio.accounts import oidc_views
from studio.accounts import views as account_views
from studio.teams import invitation_views
from studio.usage.urls import admin_urlpatterns as usage_admin_urls

urlpatterns = [
    # Browsers (and the admin's pages, which have no <link rel=icon>) ask for this path.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", include("studio.core.urls")),
    *usage_admin_urls,
    path("admin/", admin.site.urls),
    path("accounts/login/", account_views.StudioLoginView.as_view(), name="login"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/oidc/login/", oidc_views.start, name="oidc_authentication_init"),
    path("accounts/oidc/callback/", oidc_views.callback, name="oidc_authentication_callback"),
    path("accounts/logout/", account_views.StudioLogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/theme/", account_views.theme, name="theme"),
    path("teams/", include("studio.teams.urls")),
    path("collections/", include("studio.collections.urls")),
    path("invite/<str:token>/", invitation_views.accept, name="invite"),
    path("uploads/", include("studio.uploads.urls")),
    path("", include("studio.usage.urls")),
    path("", include("studio.api.urls")),
    path("", include("studio.webhooks.urls")),
    path("", include("studio.moderation.urls")),
    path("", include("studio.links.urls")),
    path("", include("studio.generations.urls")),
]

if settings.SIMULATOR_ENABLED:
    urlpatterns.append(path("simulator/v1/", include("studio.simulator.urls")))

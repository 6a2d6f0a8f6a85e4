from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from . import oidc, oidc_views, session_hint
from .models import Theme, set_theme
from .signup import SignupForm


@login_required
@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    """Remember the person's theme (system / light / dark). Without JavaScript: back to the
    page the toggle was on, drawn in the new theme; htmx: the toggle again, and a
    `theme-changed` event that static/js/theme.js turns into <html data-theme>."""
    choice = request.POST.get("theme", "")
    if choice not in Theme.values:
        return HttpResponseBadRequest("theme must be system, light or dark")
    set_theme(request.user, choice)
    if request.htmx:
        response = render(request, "accounts/_theme.html", {"theme": choice})
        return trigger_client_event(response, "theme-changed", {"theme": choice})
    nxt = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure())
    return redirect(nxt if nxt and ok else "studio")


class StudioLoginView(auth_views.LoginView):
    """Django's LoginView (`username`, `password`), plus what the page offers besides: the
    identity provider's button, a sign-up link when sign-up is open, and a word when a
    session has ended. With STUDIO_PASSWORD_LOGIN=0 the password form is gone and a posted
    password is refused (staff sign in at /admin/login/)."""

    def post(self, request, *args, **kwargs):
        if not settings.STUDIO_PASSWORD_LOGIN:
            self.object = None
            context = self.get_context_data(form=None, refused=True)
            return self.render_to_response(context, status=403)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session_ended"] = self.request.method == "GET" and session_hint.session_ended(
            self.request
        )
        context["signup_open"] = settings.STUDIO_SIGNUP
        context["password_login"] = settings.STUDIO_PASSWORD_LOGIN
        context["oidc_name"] = oidc.provider_name() if oidc.enabled() else ""
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("session_ended"):
            session_hint.forget(response)  # said once
        return response


class StudioLogoutView(auth_views.LogoutView):
    """Sign-out on purpose: the studio's session ends; a provider sign-in also goes to the
    provider's end_session_endpoint (RP-initiated logout) when it offers one, which sends the
    browser back to the sign-in page. That page then says nothing about a lapsed session."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token", "")
        response = super().post(request, *args, **kwargs)
        at_provider = oidc_views.end_session_url(request, id_token)
        if at_provider:
            response = HttpResponseRedirect(at_provider)
        session_hint.forget(response)
        return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """`/accounts/signup/` while STUDIO_SIGNUP=1 (404 otherwise): a new account, signed in
    at once and sent on to `next` (an invitation link, say)."""
    if not settings.STUDIO_SIGNUP:
        raise Http404("Sign-up is closed")
    nxt = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        nxt = ""
    if request.user.is_authenticated:
        return redirect(nxt or "studio")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}: your account is ready.")
        return redirect(nxt or "studio")
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/signup.html", {"form": form, "next": nxt}, status=status)

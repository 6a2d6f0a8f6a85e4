"""The navigation's context: the signed-in person's teams and theme, and whether the
simulator answers."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from studio.accounts.models import theme_of
from studio.teams.access import teams_for


def studio(request):
    user = getattr(request, "user", None)
    # Lazy: only pages that show the navigation pay for the query.
    my_teams = SimpleLazyObject(lambda: teams_for(request).teams if user else [])
    return {
        "simulator_enabled": settings.SIMULATOR_ENABLED,
        "my_teams": my_teams,
        # Drawn on <html data-theme>: the page comes in its colours, with no flash.
        "theme": SimpleLazyObject(lambda: theme_of(user)),
    }

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def studio(request):
    user = getattr(request, "user", None)

    def teams():
        if user is None or not user.is_authenticated:
            return []
        from studio.teams.models import Team

        return list(Team.objects.filter(memberships__user=user).order_by("name"))

    # Lazy: only pages that show the navigation pay for the query.
    return {"simulator_enabled": settings.SIMULATOR_ENABLED, "my_teams": SimpleLazyObject(teams)}

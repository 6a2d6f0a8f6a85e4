"""Who may see or change a generation. Every view goes through here."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Generation


def visible_generations(user) -> QuerySet[Generation]:
    if not user.is_authenticated:
        return Generation.objects.none()
    if user.has_perm("generations.view_generation"):
        # Admins reviewing moderated failures see the inputs and outputs they judge.
        return Generation.objects.all()
    return Generation.objects.filter(Q(user=user) | Q(team__memberships__user=user)).distinct()


def get_generation_for(user, generation_id: int, *, write: bool = False) -> Generation:
    """The generation, or 404 for anyone who may not see it (or change it, with write)."""
    qs = Generation.objects.filter(user=user) if write else visible_generations(user)
    try:
        return qs.get(pk=generation_id)
    except (Generation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such generation") from None

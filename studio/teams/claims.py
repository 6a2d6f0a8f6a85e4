"""Team memberships from the identity provider's claim (STUDIO_OIDC_TEAMS_CLAIM).

At each provider sign-in the claim's values, `team-slug` or `team-slug:role`, set the person's
memberships: a team named there is made if it does not exist and becomes *managed*; the person
is added with that role or has their role changed; and they leave every managed team the claim
no longer names. Teams nobody's claim ever named are left alone, so invitations and manual adds
keep working there. The claim never leaves a team without an owner: a last owner it would
demote or remove stays an owner, with an audited warning, until someone else is one.
A sign-in whose claims lack the claim altogether changes nothing (a missing scope or mapper
must not empty every team)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from . import services
from .models import Membership, Team

log = logging.getLogger("studio.teams.claims")

# A bare `slug` gives the least role; `slug:editor` or `slug:owner` say more.
DEFAULT_ROLE = Membership.Role.VIEWER
_RANK = {Membership.Role.VIEWER: 0, Membership.Role.EDITOR: 1, Membership.Role.OWNER: 2}


def parse(values) -> dict[str, str]:
    """{slug: role} from the claim's values (a list, or one string of them separated by
    commas or spaces); values that are not a slug or name no role are skipped (logged); a
    slug named twice keeps its highest role."""
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    wanted: dict[str, str] = {}
    for value in values or []:
        slug, _, role = str(value).strip().partition(":")
        slug, role = slug.strip().lower(), (role.strip().lower() or DEFAULT_ROLE)
        if not slug or slugify(slug) != slug or role not in _RANK:
            log.warning("team claim value %r skipped: not `slug` or `slug:role`", value)
            continue
        if slug not in wanted or _RANK[role] > _RANK[wanted[slug]]:
            wanted[slug] = role
    return wanted


def _managed_team(slug: str) -> Team:
    team = Team.objects.select_for_update().filter(slug=slug).first()
    if team is None:
        name, n = slug, 1
        while Team.objects.filter(name__iexact=name).exists():
            n += 1
            name = f"{slug}-{n}"
        team = Team.objects.create(name=name, slug=slug, managed_by_claims=True)
        services._audit(actor=None, action="created_from_claims", team=team)
    elif not team.managed_by_claims:
        team.managed_by_claims = True
        team.save(update_fields=["managed_by_claims"])
        services._audit(actor=None, action="managed_by_claims", team=team)
    return team


def _kept_last_owner(team: Team, user, wanted_role: str | None) -> None:
    log.warning("claims would leave team %s without an owner: %s stays its owner", team.slug, user)
    services._audit(
        actor=None,
        action="claims_kept_last_owner",
        team=team,
        subject=user,
        before={"role": Membership.Role.OWNER},
        after={"claimed": wanted_role or "not a member", "kept": Membership.Role.OWNER},
    )


def apply(*, user, values) -> None:
    wanted = parse(values)
    with transaction.atomic():
        for slug, role in wanted.items():
            team = _managed_team(slug)
            current = Membership.objects.role_of(user, team)
            if current is None:
                services.add_member(team=team, user=user, role=role)
            elif current != role:
                try:
                    services.change_role(team=team, user=user, role=role)
                except services.TeamRuleError:
                    _kept_last_owner(team, user, role)
        stale = Membership.objects.filter(user=user, team__managed_by_claims=True).exclude(
            team__slug__in=wanted
        )
        for membership in stale.select_related("team"):
            try:
                services.remove_member(team=membership.team, user=user)
            except services.TeamRuleError:
                _kept_last_owner(membership.team, user, None)


def on_provider_sign_in(sender, *, user, claims: dict, **kwargs) -> None:
    """The receiver of accounts' `provider_signed_in` signal."""
    claim = settings.STUDIO_OIDC_TEAMS_CLAIM
    if not claim:
        return
    if claim not in claims:
        log.warning("sign-in of %s carried no %r claim: memberships left as they were", user, claim)
        return
    apply(user=user, values=claims[claim])

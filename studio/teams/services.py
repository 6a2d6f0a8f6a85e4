"""Changing teams: creating them, adding, re-roling and removing members, leaving and
deleting. Every rule (a team that has owners keeps one) is checked here, so the members
page, the `team` command and the admin's callers all refuse the same things."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from studio.core import audit

from .models import Membership, Team

log = logging.getLogger("studio.teams")


class TeamRuleError(ValueError):
    """A change the team rules refuse; the message is meant for the person who asked."""


def _audit(*, actor, action: str, team: Team, subject=None, before=None, after=None) -> None:
    """Note a change of membership or role in the audit log (who did what to whom, in
    which team); `actor` None is the command line."""
    audit.record(
        actor=actor,
        action=f"team.{action}",
        subject=subject,
        target=f"team {team.slug}",
        before=before,
        after=after,
    )
    log.info("team %s: %s by %s", team.slug, action, getattr(actor, "username", "command"))


def create_team(*, name: str, owner=None) -> Team:
    name = name.strip()
    slug = slugify(name)
    if not slug:
        raise TeamRuleError("A team name needs at least one letter or digit.")
    if Team.objects.filter(name__iexact=name).exists() or Team.objects.filter(slug=slug).exists():
        raise TeamRuleError(f"A team named {name!r} already exists.")
    with transaction.atomic():
        team = Team.objects.create(name=name, slug=slug)
        if owner is not None:
            Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    _audit(actor=owner, action="created", team=team, subject=owner, after={"role": "owner"})
    return team


def user_named(username: str):
    try:
        return get_user_model().objects.get(username=username.strip())
    except get_user_model().DoesNotExist:
        raise TeamRuleError(f"No user named {username.strip()!r}.") from None


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise TeamRuleError(f"{role!r} is not a role: viewer, editor or owner.")


def add_member(*, team: Team, user, role: str, by=None) -> Membership:
    _check_role(role)
    if Membership.objects.filter(team=team, user=user).exists():
        raise TeamRuleError(f"{user.username} is already a member of {team.name}.")
    membership = Membership.objects.create(team=team, user=user, role=role)
    _audit(actor=by, action="member_added", team=team, subject=user, after={"role": role})
    return membership


def _keeps_an_owner(team: Team, membership: Membership, new_role: str | None) -> None:
    """Refuse to leave a team that has owners without one (new_role None: removal)."""
    if membership.role != Membership.Role.OWNER or new_role == Membership.Role.OWNER:
        return
    if team.memberships.select_for_update().filter(role=Membership.Role.OWNER).count() <= 1:
        raise TeamRuleError(
            f"{membership.user.username} is the last owner of {team.name}: "
            "make someone else an owner first."
        )


def _membership(team: Team, user) -> Membership:
    try:
        return Membership.objects.select_related("user").get(team=team, user=user)
    except Membership.DoesNotExist:
        raise TeamRuleError(f"{user.username} is not a member of {team.name}.") from None


def change_role(*, team: Team, user, role: str, by=None) -> Membership:
    _check_role(role)
    with transaction.atomic():
        membership = _membership(team, user)
        _keeps_an_owner(team, membership, role)
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
    _audit(
        actor=by,
        action="role_changed",
        team=team,
        subject=user,
        before={"role": old},
        after={"role": role},
    )
    return membership


def set_member(*, team: Team, user, role: str, by=None) -> tuple[Membership, bool]:
    """Add `user` with `role`, or change their role if they are a member: the command's
    `team add`. Returns the membership and whether it was new."""
    if Membership.objects.filter(team=team, user=user).exists():
        return change_role(team=team, user=user, role=role, by=by), False
    return add_member(team=team, user=user, role=role, by=by), True


def remove_member(*, team: Team, user, by=None) -> None:
    """Take `user` out of `team`. What they shared stays shared (they may still unshare it);
    their next request to the team's pages gets 404."""
    with transaction.atomic():
        membership = _membership(team, user)
        _keeps_an_owner(team, membership, None)
        role = membership.role
        membership.delete()
    _audit(actor=by, action="member_removed", team=team, subject=user, before={"role": role})


def delete_team(*, team: Team, by=None) -> None:
    """Delete the team; what was shared with it becomes private again, never deleted."""
    with transaction.atomic():
        team.generations.update(team=None, shared_at=None)
        team.delete()
    _audit(actor=by, action="deleted", team=team)


def rename_team(*, team: Team, name: str, by=None) -> Team:
    name = name.strip()
    if not name:
        raise TeamRuleError("A team needs a name.")
    if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
        raise TeamRuleError(f"A team named {name!r} already exists.")
    old = team.name
    team.name = name
    team.save(update_fields=["name"])  # the slug stays: links keep working
    _audit(actor=by, action="renamed", team=team, before={"name": old}, after={"name": name})
    return team


def set_default_team(*, user, team: Team | None) -> None:
    """The team the composer preselects for `user` (None: only me)."""
    with transaction.atomic():
        Membership.objects.filter(user=user, is_default=True).update(is_default=False)
        if team is not None:
            Membership.objects.filter(user=user, team=team).update(is_default=True)

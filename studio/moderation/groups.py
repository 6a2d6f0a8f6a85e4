"""The Reviewers group: made by migration 0004, and made again after every `migrate` or
`flush` (post_migrate) if it went missing, since a database flush empties it."""

from __future__ import annotations

REVIEWERS = "Reviewers"
# (model, codename): the queue (and its inputs, through the access module) and the audit log.
REVIEWER_PERMISSIONS = [
    ("moderatedfailure", "review_moderatedfailure"),
    ("moderatedfailure", "view_moderatedfailure"),
    ("auditentry", "view_auditentry"),
]


def ensure_reviewers_group(sender=None, **kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=REVIEWERS)
    if not created:
        return  # an admin may have changed its permissions on purpose: leave them
    for model, codename in REVIEWER_PERMISSIONS:
        perm = Permission.objects.filter(
            content_type__app_label="moderation", content_type__model=model, codename=codename
        ).first()
        if perm is not None:
            group.permissions.add(perm)

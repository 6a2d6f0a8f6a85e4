"""Moderation in the admin: the review queue, suspensions on the person's page, the audit
log. Importing the modules registers their ModelAdmins."""

from . import audit_log, people, review_queue  # noqa: F401

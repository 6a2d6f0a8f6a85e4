from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from studio.generations.models import Generation, State
from tests.generations.helpers import image_bytes, make_generation

# The review queue in the admin.
QUEUE = "/admin/moderation/moderatedfailure/"


def moderated(user, prompt, reason="Blocked: policy 4.2", **extra):
    """A moderated failure of `user`, with one reference image."""
    gen = make_generation(
        user,
        prompt=prompt,
        inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
    )
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason=reason, **extra
    )
    gen.refresh_from_db()
    return gen


def make_reviewer(username="rita"):
    """Staff in the Reviewers group (made by the migration): no other permission."""
    user = get_user_model().objects.create_user(username, password="pw-rita-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user

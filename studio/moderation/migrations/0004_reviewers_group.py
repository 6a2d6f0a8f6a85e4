from django.db import migrations

GROUP = "Reviewers"
# The queue (and its inputs, through the access module) and the audit log, read-only.
PERMISSIONS = [
    ("moderatedfailure", "review_moderatedfailure", "Can review moderated failures"),
    ("moderatedfailure", "view_moderatedfailure", "Can view moderated failure"),
    ("auditentry", "view_auditentry", "Can view audit entry"),
]


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for model, codename, name in PERMISSIONS:
        # Permissions are made after migrate (post_migrate): make them now for the group.
        ct, _ = ContentType.objects.get_or_create(app_label="moderation", model=model)
        perm, _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
        group.permissions.add(perm)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0003_suspensions_appeals_review_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]

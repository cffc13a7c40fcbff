"""Editors and clinical reviewers propose changes to shared content; only review publishes them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Editors", "Clinical reviewers"]
# Saving a shared object in the admin makes a SharedChange; the object changes only when a
# clinical reviewer publishes it (drugs.editorial.shared). No one is given delete.
PERMISSIONS = [
    "view_sharedchange",
    "change_sharedchange",
    "view_workflowevent",
    *[
        f"{action}_{model}"
        for model in ("frequencyband", "layterm", "sign")
        for action in ("view", "add", "change")
    ],
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(content_type__app_label="drugs", codename__in=PERMISSIONS)
    )
    missing = set(PERMISSIONS) - {p.codename for p in permissions}
    if missing:
        raise RuntimeError(f"missing permissions: {', '.join(sorted(missing))}")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="drugs", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("drugs", "0013_editorial_governance")]

    operations = [migrations.RunPython(grant, revoke)]

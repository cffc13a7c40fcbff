"""Create the Editors and Clinical reviewers groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
REVIEWERS = "Clinical reviewers"

CONTENT = ["source", "drugsideeffect", "helprule", "precaution", "section", "disagreement"]
SHARED = ["sideeffect", "glossaryterm"]

EDITOR_PERMISSIONS = (
    ["view_drug", "add_drug", "change_drug", "delete_drug", "submit_for_review"]
    + [f"{action}_{model}" for model in CONTENT for action in ("view", "add", "change", "delete")]
    + [f"{action}_{model}" for model in SHARED for action in ("view", "add", "change")]
    + ["view_frequencyband", "view_historicaldrug", "view_feedback"]
)
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_drug", "set_review_dates"]


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations run; make them now so the
    # groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ((EDITORS, EDITOR_PERMISSIONS), (REVIEWERS, REVIEWER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="drugs", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"missing permissions: {', '.join(sorted(missing))}")
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS, REVIEWERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("drugs", "0003_drug_revisions_permissions_snapshots"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]

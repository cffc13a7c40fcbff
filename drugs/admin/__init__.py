"""The editors' admin: one module per family; importing the package registers them all."""

from django.contrib import admin

from drugs.admin import clinical, drugs, feedback, shared, side_effects  # noqa: F401

# The site's own name on every admin page, in one place.
admin.site.site_header = "Medication guide: editors"
admin.site.site_title = "Medication guide editors"
admin.site.index_title = "Edit the medication guide"

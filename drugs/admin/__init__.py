"""The editors' admin: one module per family; importing the package registers them all."""

from drugs.admin import clinical, drugs, feedback, shared, side_effects  # noqa: F401

"""The WSGI application gunicorn serves: Django, behind the page cache's front door."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meds_site.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: the front door reads settings and the page cache's memory.
from drugs.page_cache import FrontDoor  # noqa: E402

# A page this worker holds is sent before Django runs (drugs.page_cache.FrontDoor).
application = FrontDoor(django_application)

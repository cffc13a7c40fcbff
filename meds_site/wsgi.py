"""The WSGI application gunicorn serves: Django, behind the page cache's front door."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meds_site.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: these read settings and the apps' models.
from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from drugs import page_cache  # noqa: E402


def warm_up() -> None:
    """Do once, before gunicorn forks its workers (preload_app), what each worker would else do
    on its first request: import every view and the cache backend, read the release's files,
    compile the site's templates. Nothing here opens a connection, so nothing is shared across
    the fork. A fresh worker's first cached page took 240 ms without it."""
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    for alias in settings.CACHES:
        caches[alias]  # noqa: B018 - imports the backend; Redis connects on first use
    page_cache.release()
    page_cache.release_changed_at()
    templates = settings.BASE_DIR / "templates"
    engine = engines["django"]
    for path in sorted(templates.rglob("*.html")):
        engine.get_template(str(path.relative_to(templates)))


warm_up()

# A page this worker holds is sent before Django runs (drugs.page_cache.FrontDoor).
application = page_cache.FrontDoor(django_application)

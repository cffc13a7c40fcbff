from django.conf import settings


def site(request):
    """Site-wide values every template may need."""
    # Addresses for canonical links come from SITE_URL, never from the request's Host header.
    return {"helpline_number": settings.HELPLINE_NUMBER, "site_url": settings.SITE_URL}

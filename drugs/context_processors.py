from django.conf import settings


def site(request):
    """Site-wide values every template may need."""
    return {"helpline_number": settings.HELPLINE_NUMBER}

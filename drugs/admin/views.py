"""Views only staff reach: the editor's Markdown preview and a drug page as patients will see it."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from drugs.markdown import render_markdown
from drugs.models import Drug
from drugs.pages import views


@require_POST
@staff_member_required
def markdown_preview(request):
    """markdownx's live preview, through the site's own sanitising renderer."""
    response = HttpResponse(render_markdown(request.POST.get("content", "")))
    # The fragment is shown inside the admin only.
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def drug_preview(request, pk):
    """Any drug, draft or pending revision included, exactly as its patient page shows it."""
    if not request.user.has_perm("drugs.view_drug"):
        raise PermissionDenied
    drug = get_object_or_404(Drug.objects.with_monograph(), pk=pk)
    return views.render_drug_page(request, drug, preview=True)

from django.shortcuts import get_object_or_404, render

from drugs.models import Drug, GlossaryTerm, SideEffect


def home(request):
    return render(request, "drugs/home.html", {"drugs": Drug.objects.published()})


def drug_list(request):
    return render(request, "drugs/drug_list.html", {"drugs": Drug.objects.published()})


def drug_detail(request, slug):
    drug = get_object_or_404(Drug.objects.published().with_monograph(), slug=slug)
    return render(request, "drugs/drug_detail.html", {"drug": drug})


def side_effect_detail(request, slug):
    effect = get_object_or_404(SideEffect.objects.published(), slug=slug)
    return render(request, "drugs/side_effect_detail.html", {"effect": effect})


def glossary(request):
    return render(request, "drugs/glossary.html", {"terms": GlossaryTerm.objects.all()})

"""Form fields of the drug editor: lists one per line, bands in words, and citations of sources
added in the same save."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from drugs.models import STANDARD_SCALE, Drug, FrequencyBand, Source


class LinesField(forms.CharField):
    """A JSON list of short texts, typed one a line."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def __init__(self, *, encoder=None, decoder=None, **kwargs):
        # Passed by JSONField.formfield(); the list needs neither.
        kwargs["help_text"] = kwargs.get("help_text") or "One a line. Leave empty if none."
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        lines = [line.strip() for line in (value or "").splitlines()]
        return [line for line in lines if line]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        for line in value:
            if line[:1] in '["' or line[-1:] in '],"':
                raise ValidationError(
                    f"“{line}”: write each one on its own line, without brackets, quotes or "
                    "commas.",
                    code="json",
                )
        seen = set()
        for line in value:
            if line.casefold() in seen:
                raise ValidationError(f"“{line}” is listed twice.", code="duplicate")
            seen.add(line.casefold())

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


LIST_FIELDS = {"form_class": LinesField}


def band_choices() -> list:
    """Frequency bands in words, grouped by the scale each source uses."""
    groups: dict[str, list] = {}
    for band in FrequencyBand.objects.order_by("scale", "rank"):
        scale = (
            "Standard scale"
            if band.scale == STANDARD_SCALE
            else f"Scale of the {band.scale} source"
        )
        groups.setdefault(scale, []).append((band.pk, f"{band.label} ({band.phrase})"))
    standard = groups.pop("Standard scale", None)
    ordered = ([("Standard scale", standard)] if standard else []) + list(groups.items())
    return [("", "---------"), *ordered]


class DrugForm(forms.ModelForm):
    """The drug itself: brand names one a line; the slug made from the name when left empty."""

    class Meta:
        model = Drug
        # The admin's fieldsets choose the fields shown; these are the editable ones.
        fields = [
            "name",
            "slug",
            "brand_names",
            "pronunciation",
            "treats",
            "summary",
            "cycle_days_on",
            "cycle_days_off",
            "contact",
            "last_reviewed",
            "next_review_due",
            "editorial_notes",
        ]
        field_classes = {"brand_names": LinesField}
        labels = {"brand_names": "Brand names"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # Filled in from the name as it is typed (JavaScript) or on saving (without it).
            self.fields["slug"].required = False
            self.fields[
                "slug"
            ].help_text = "The page's web address. Left empty, it is made from the name."

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name", ""))
        if not slug:
            raise ValidationError("Give the drug a name, or a web address (slug).")
        return slug


# --- Citations of sources added in the same save


@dataclass(frozen=True)
class NewSource:
    """A citation of the source typed into the sources form at `index`, saved with this save."""

    index: int

    def __str__(self):
        return f"Source #{self.index + 1} (new, in this form)"


NEW = "new-"


class Citable:
    """What a row on one drug's page may cite: its saved sources, and the new ones in the same form.

    One per request; the sources formset registers itself here when it is built, so the choices
    follow the source forms on the page (shown on a GET, sent on a POST).
    """

    def __init__(self, drug: Drug | None):
        self.drug = drug
        self.formset = None
        self._saved = None

    @property
    def saved(self) -> dict[str, Source]:
        if self._saved is None:
            sources = Source.objects.filter(drug=self.drug) if self.drug and self.drug.pk else []
            self._saved = {str(source.pk): source for source in sources}
        return self._saved

    def new_indexes(self) -> range:
        if self.formset is None:
            return range(0)
        return range(self.formset.initial_form_count(), self.formset.total_form_count())

    def choices(self) -> list[tuple[str, str]]:
        saved = [(pk, str(source)) for pk, source in self.saved.items()]
        return saved + [(f"{NEW}{i}", str(NewSource(i))) for i in self.new_indexes()]

    def deleted(self) -> set[str]:
        """Saved sources ticked for deletion in this same save."""
        if self.formset is None or not self.formset.can_delete or not self.formset.is_bound:
            return set()
        return {
            str(form.instance.pk)
            for form in self.formset.initial_forms
            if self.formset._should_delete_form(form)
        }

    def resolve(self, value: str) -> Source | NewSource:
        """The source a submitted choice names; a new one only if its form is filled in."""
        if value in self.saved:
            if value in self.deleted():
                raise ValidationError(
                    f"“{self.saved[value]}” is being deleted: cite another source."
                )
            return self.saved[value]
        if value.startswith(NEW) and value[len(NEW) :].isdigit():
            index = int(value[len(NEW) :])
            if index in self.new_indexes():
                new = NewSource(index)
                form = self.formset.forms[index]
                if self.formset.can_delete and self.formset._should_delete_form(form):
                    raise ValidationError(f"{new} is marked for deletion: cite another source.")
                if not form.has_changed():
                    raise ValidationError(f"{new} is empty: fill it in, or cite another source.")
                return new
        raise ValidationError("Choose one of this drug's sources.", code="invalid_choice")

    def source_of(self, new: NewSource) -> Source:
        """The saved source a new citation names (after the sources formset is saved)."""
        return self.formset.forms[new.index].instance


class CitationField(forms.ChoiceField):
    """One source, by name for saved ones and by position for those added in the same save."""

    def __init__(self, citable: Citable, *, must_cite: bool, **kwargs):
        # Not "required" to the model form: a new source's citation is empty until it is saved.
        # must_cite makes the field required here instead.
        super().__init__(choices=self._choices, required=False, **kwargs)
        self.citable = citable
        self.must_cite = must_cite

    def _choices(self):
        return [("", "---------"), *self.citable.choices()]

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, Source) else value

    def clean(self, value):
        if value in self.empty_values:
            if self.must_cite:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        return self.citable.resolve(str(value))

    def has_changed(self, initial, data):
        return str(initial or "") != str(data or "")


class CitationsField(forms.MultipleChoiceField):
    """Any number of sources, offered the same way as CitationField."""

    def __init__(self, citable: Citable, **kwargs):
        super().__init__(choices=citable.choices, **kwargs)
        self.citable = citable

    def prepare_value(self, value):
        if value is None:
            return []
        return [str(v.pk) if isinstance(v, Source) else str(v) for v in value]

    def clean(self, value):
        value = value or []
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        errors, cited = [], []
        for item in value:
            try:
                cited.append(self.citable.resolve(str(item)))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return cited

    def has_changed(self, initial, data):
        before = {str(v.pk) if isinstance(v, Source) else str(v) for v in initial or []}
        return before != {str(v) for v in data or []}


class CitingForm(forms.ModelForm):
    """A row citing sources: citations of new sources wait in `new_citations` until saved."""

    def clean(self):
        cleaned = super().clean()
        self.new_citations: dict[str, list[NewSource]] = {}
        for name, field in self.fields.items():
            if name not in cleaned:
                continue
            if isinstance(field, CitationsField):
                new = [c for c in cleaned[name] if isinstance(c, NewSource)]
                cleaned[name] = [c for c in cleaned[name] if isinstance(c, Source)]
            elif isinstance(field, CitationField) and isinstance(cleaned[name], NewSource):
                new, cleaned[name] = [cleaned[name]], None
            else:
                continue
            if new:
                self.new_citations[name] = new
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # HelpRule.clean() asks an escalated rule for a saved escalation source; one cited by its
        # position is saved in this same save, so only the reason is left to check.
        pending = "escalation_source" in getattr(self, "new_citations", {})
        if (
            pending
            and "escalation_reason" in self._errors
            and self.instance.escalation_reason.strip()
        ):
            del self._errors["escalation_reason"]

    def save_new_citations(self, citable: Citable) -> None:
        """Point this row at the sources it cited by position, now that they are saved."""
        for name, cited in getattr(self, "new_citations", {}).items():
            sources = [citable.source_of(new) for new in cited]
            if isinstance(self.fields[name], CitationsField):
                getattr(self.instance, name).add(*sources)
            else:
                setattr(self.instance, name, sources[0])
                # An update, not save(): a rule whose side effect was deleted is simply gone.
                type(self.instance).objects.filter(pk=self.instance.pk).update(**{name: sources[0]})

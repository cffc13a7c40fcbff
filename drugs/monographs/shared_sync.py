"""The shared lists (bands, side effects, glossary, vocabulary, signs, timing phrases), upserted
by natural key; what the files no longer hold is removed once every drug is written."""

from __future__ import annotations

from drugs.models import (
    STANDARD_SCALE,
    FrequencyBand,
    GlossaryTerm,
    LayTerm,
    SideEffect,
    Sign,
    TimingPhrase,
)
from drugs.monographs.data import ContentSet


def differs(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def apply(obj, values: dict) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


# The shared lists: (ContentSet attribute, model, kind in the report, natural key field, and
# item -> (key, the other fields' values)). Frequency bands point at each other: sync_bands().
SHARED_LISTS = (
    (
        "effects",
        SideEffect,
        "side effects",
        "slug",
        lambda e: (
            e.slug,
            {
                "name": e.name,
                "also_called": e.also_called,
                "lay_names": e.lay_names,
                "synonyms": e.synonyms,
            },
        ),
    ),
    (
        "terms",
        GlossaryTerm,
        "glossary terms",
        "slug",
        lambda t: (t.slug, {"term": t.term, "aliases": t.aliases, "definition": t.definition}),
    ),
    ("vocabulary", LayTerm, "lay search terms", "phrase", lambda t: (t.phrase, {"means": t.means})),
    ("signs", Sign, "signs", "slug", lambda g: (g.slug, {"name": g.name, "synonyms": g.synonyms})),
    ("floors", TimingPhrase, "timing phrases", "phrase", lambda f: (f.says, {"floor": f.floor})),
)


class SharedLists:
    def __init__(self, content: ContentSet, result):
        self.content = content
        self.result = result
        # (model, filter, kind) of shared rows to delete once no drug points at them.
        self.stale: list[tuple] = []

    def sync(self) -> None:
        if self.content.bands is not None:
            self.sync_bands()
        self.sync_lists()

    def remove_stale(self) -> None:
        for model, filters, kind in self.stale:
            deleted = model.objects.filter(**filters).delete()[1].get(model._meta.label, 0)
            self.result.add(kind, "removed", deleted)

    def _sync_shared(self, model, kind, existing: dict, rows: list[tuple[str, dict, dict]]):
        """Upsert rows by natural key; rows no longer in the file are removed at the end."""
        kept = {}
        for key, identity, values in rows:
            obj = existing.pop(key, None)
            if obj is None:
                obj = model.objects.create(**identity, **values)
                self.result.add(kind, "created")
            elif differs(obj, values):
                apply(obj, values)
                obj.save()
                self.result.add(kind, "updated")
            else:
                self.result.add(kind, "unchanged")
            kept[key] = obj
        if existing:
            self.stale.append((model, {"pk__in": [o.pk for o in existing.values()]}, kind))
        return kept

    def sync_bands(self):
        existing = {b.reference: b for b in FrequencyBand.objects.all()}
        standard = {}
        # The standard scale first, since every other band points at it; then other
        # scales, which are also removed first when stale.
        for on_standard in (True, False):
            kept = self._sync_shared(
                FrequencyBand,
                "frequency bands",
                {r: b for r, b in existing.items() if (b.scale == STANDARD_SCALE) == on_standard},
                [
                    (
                        b.reference,
                        {"scale": b.scale, "key": b.key},
                        {
                            "label": b.label,
                            "phrase": b.phrase,
                            "rank": b.rank,
                            "min_per_100": b.min_per_100,
                            "max_per_100": b.max_per_100,
                            "standard": standard.get(b.standard),
                        },
                    )
                    for b in self.content.bands
                    if (b.scale == STANDARD_SCALE) == on_standard
                ],
            )
            if on_standard:
                standard = {obj.key: obj for obj in kept.values()}
        self.stale.reverse()

    def sync_lists(self) -> None:
        """Every shared list in these files but the bands, each by its natural key."""
        for attr, model, kind, key_field, row in SHARED_LISTS:
            items = getattr(self.content, attr)
            if items is None:
                continue
            self._sync_shared(
                model,
                kind,
                {getattr(obj, key_field): obj for obj in model.objects.all()},
                [(key, {key_field: key}, values) for key, values in map(row, items)],
            )

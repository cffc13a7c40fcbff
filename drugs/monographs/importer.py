"""Load parsed monographs into the database: atomic, re-runnable, and quiet when nothing changed."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from drugs.bulk import insert
from drugs.models import (
    Disagreement,
    Drug,
    DrugSideEffect,
    FrequencyBand,
    HelpRule,
    MarkdownRendered,
    Precaution,
    Section,
    SideEffect,
    Sign,
    Source,
    Status,
    TimingPhrase,
)
from drugs.monographs import snapshots
from drugs.monographs.data import ContentSet, ImportFailed, ImportResult, MonographData, Problem
from drugs.monographs.files import check_references
from drugs.monographs.memory import collect_round
from drugs.monographs.shared_sync import SharedLists, apply, differs
from drugs.page_cache import bump_content_version
from drugs.search import index


def validate(content: ContentSet) -> list[Problem]:
    """Cross-file checks against what these files declare and what is already loaded."""
    known_bands = {b.reference for b in FrequencyBand.objects.all()}
    known_effects = set(SideEffect.objects.values_list("slug", flat=True))
    known_signs = set(Sign.objects.values_list("slug", flat=True))
    known_floors = dict(TimingPhrase.objects.values_list("phrase", "floor"))
    return check_references(content, known_bands, known_effects, known_signs, known_floors)


def import_content(content: ContentSet) -> ImportResult:
    """Write the content in one transaction; on any problem nothing is written."""
    problems = validate(content)
    if problems:
        raise ImportFailed(problems)
    result = ImportResult()
    try:
        with transaction.atomic(), index.paused():
            Importer(content, result).run()
            if result.changed:
                # bulk_create sends no signals: make cached pages stale in the same commit.
                bump_content_version()
    except ProtectedError as exc:
        names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:10])
        raise ImportFailed(
            [Problem("content", 0, "removal", f"cannot remove an item still used by: {names}")]
        ) from exc
    except IntegrityError as exc:
        raise ImportFailed([Problem("content", 0, "database", str(exc))]) from exc
    return result


# A help rule's columns, in the order Importer.rule_row() gives them.
RULE_COLUMNS = (
    "sign_id",
    "urgency",
    "text",
    "threshold",
    "condition",
    "timing_id",
    "source_id",
    "escalation_reason",
    "escalation_source_id",
)


def _ids(row: tuple) -> tuple:
    """A rule row with its sources as ids: a new drug's sources have theirs only once written."""
    return tuple(v.pk if isinstance(v, Source) else v for v in row)


# Drugs written per round. Their new rows go to the database in one batch per table, and are
# then let go, so an import's memory stays flat however many monographs it holds.
CHUNK = 200


class Written(NamedTuple):
    """One drug as the import leaves it, kept until its round's rows are in the database."""

    drug: Drug
    data: MonographData
    # Whether the drug or any of its rows changed, so its search documents need rebuilding.
    changed: bool
    sections: list[Section]
    precautions: list[Precaution]
    side_effects: list[DrugSideEffect]


class Importer:
    def __init__(self, content: ContentSet, result: ImportResult):
        self.content = content
        self.result = result
        self.shared = SharedLists(content, result)
        # Drug id -> its parsed monograph, for the history snapshots (drugs.monographs.snapshots).
        self.parsed: dict[int, MonographData] = {}
        # Rows of the current round waiting to be inserted, and the drugs they belong to.
        self.pending: defaultdict[type, list] = defaultdict(list)
        self.links: defaultdict[type, list] = defaultdict(list)
        # (drug side effect, (urgency, text, order)) of the round's new help rules.
        self.help_rules: list[tuple] = []
        self.written: list[Written] = []

    def run(self) -> None:
        self.shared.sync()
        # Every drug's documents show side effects' names: if those changed, rebuild them all.
        self.effects_changed = self.result.changed_in("side effects")
        self.bands = {b.reference: b for b in FrequencyBand.objects.all()}
        self.effects = {e.slug: e for e in SideEffect.objects.all()}
        self.effect_slugs = {e.pk: slug for slug, e in self.effects.items()}
        self.signs = {g.slug: g for g in Sign.objects.all()}
        self.floors = {f.phrase: f for f in TimingPhrase.objects.all()}
        monographs = self.content.monographs
        for start in range(0, len(monographs), CHUNK):
            chunk = monographs[start : start + CHUNK]
            existing = {
                d.slug: d
                for d in Drug.objects.filter(slug__in=[m.slug for m in chunk]).prefetch_related(
                    "sources",
                    "sections__sources",
                    "precautions__sources",
                    "side_effects__sources",
                    "side_effects__help_rules",
                    "precautions__help_rules",
                    "side_effects__band",
                    "disagreements__sources",
                )
            }
            for data in chunk:
                self.sync_drug(data, existing.get(data.slug))
            self.flush()
            del existing
            if len(monographs) > CHUNK:
                collect_round()
        self.shared.remove_stale()
        # Records made by drug.save() (updated drugs): their snapshots come from the parsed files.
        snapshots.fill_imported(self.parsed)
        if self.effects_changed:
            imported = {m.slug for m in monographs}
            index.rebuild_drugs(
                Drug.objects.exclude(slug__in=imported).values_list("pk", flat=True)
            )
        if self.result.changed_in("glossary terms"):
            index.rebuild_terms()

    def flush(self) -> None:
        """Insert the round's new rows, parents before children, then its search documents."""
        # New drugs are the ones without an id yet.
        new = [w for w in self.written if w.drug.pk is None]
        if new:
            Drug.objects.bulk_create([w.drug for w in new])
            for w in new:
                self.parsed[w.drug.pk] = w.data
            snapshots.record_created([w.drug for w in new], self.parsed)
        # Related objects were assigned before their parents had ids: bulk_create reads the
        # ids from them now, in this order.
        for model in (Source, Section, Precaution, DrugSideEffect, Disagreement):
            if self.pending.get(model):
                model.objects.bulk_create(self.pending[model])
        # Rows nothing points at, by the thousand: written as plain rows (drugs.bulk).
        insert(
            HelpRule,
            ("side_effect_id", "precaution_id", *RULE_COLUMNS, "order"),
            [
                (
                    owner.pk if isinstance(owner, DrugSideEffect) else None,
                    owner.pk if isinstance(owner, Precaution) else None,
                    *_ids(rule),
                )
                for owner, rule in self.help_rules
            ],
        )
        for model, links in self.links.items():
            insert(
                model.sources.through,
                (f"{model._meta.model_name}_id", "source_id"),
                [(obj.pk, source.pk) for obj, source in links],
            )
        rebuild = [w for w in self.written if w.changed or self.effects_changed]
        if rebuild:
            published = set(
                Drug.objects.published()
                .filter(pk__in=[w.drug.pk for w in rebuild])
                .values_list("pk", flat=True)
            )
            index.replace_drug_documents(
                {
                    w.drug.pk: index.drug_documents(
                        w.drug,
                        w.sections,
                        w.precautions,
                        [
                            (s, self.effects[item.effect], [r.text for r in item.help_rules])
                            for s, item in zip(w.side_effects, w.data.side_effects, strict=True)
                        ],
                    )
                    if w.drug.pk in published
                    else []
                    for w in rebuild
                },
                [w.drug for w in rebuild if w.drug.pk in published],
            )
        self.written = []
        self.pending.clear()
        self.links.clear()
        self.help_rules = []

    def _counted(self) -> int:
        return sum(self.result.total(a) for a in ("created", "updated", "removed"))

    # --- one drug --------------------------------------------------------------------------

    def sync_drug(self, data: MonographData, drug: Drug | None) -> None:
        values = {
            "name": data.name,
            "brand_names": data.brand_names,
            "pronunciation": data.pronunciation,
            "treats": data.treats,
            "summary": data.summary,
            "status": data.status,
            "last_reviewed": data.last_reviewed,
            "next_review_due": data.next_review_due,
            "cycle_days_on": data.cycle_days_on,
            "cycle_days_off": data.cycle_days_off,
            "contact": data.contact,
            "editorial_notes": data.editorial_notes,
        }
        if drug is not None and drug.status == Status.WITHDRAWN:
            # Withdrawn by a clinical reviewer: only a reviewer restores it, never a file
            # that still says "published" (drugs.editorial.workflow.restore).
            values["status"] = Status.WITHDRAWN
        is_new = drug is None
        if is_new:
            # Inserted with the round's other new drugs (flush), with their history records.
            drug = Drug(slug=data.slug, **values)
            self.result.add("drugs", "created")
        drug_changed = not is_new and differs(drug, values)
        if drug_changed:
            apply(drug, values)
            drug.save()
        if not is_new and drug.revision_of_id is None:
            # A pending revision's snapshot goes under its live drug's slug: left to the reload.
            self.parsed[drug.pk] = data
        before = self._counted()

        def current(name):
            return {} if is_new else getattr(drug, name).all()

        sources = self.sync_children(
            drug,
            "sources",
            Source,
            {s.key: s for s in current("sources")},
            [
                (
                    s.key,
                    {"key": s.key},
                    {
                        "publisher": s.publisher,
                        "publisher_named": s.publisher_named,
                        "title": s.title,
                        "date": s.date,
                        "date_kind": s.date_kind,
                        "next_review": s.next_review,
                        "about": s.about,
                        "url": s.url,
                        "file": s.file,
                        "order": i,
                    },
                    None,
                )
                for i, s in enumerate(data.sources)
            ],
        )
        fresh = [s for s in sources.values() if s.pk is None]
        if not is_new and fresh:
            # Rows already in the database may now cite a new source: it needs its id first.
            # Only this drug's: a new drug earlier in the round has no id to give its own yet.
            Source.objects.bulk_create(fresh)
            self.pending[Source] = [s for s in self.pending[Source] if s.pk is None]
        sections = self.sync_children(
            drug,
            "sections",
            Section,
            {s.kind: s for s in current("sections")},
            [
                (
                    s.kind,
                    {"kind": s.kind},
                    {"title": s.title, "text": s.text, "order": i},
                    [sources[k] for k in s.sources],
                )
                for i, s in enumerate(data.sections)
            ],
        )
        precautions = self.sync_children(
            drug,
            "precautions",
            Precaution,
            {p.title: p for p in current("precautions")},
            [
                (
                    p.title,
                    {"title": p.title},
                    {
                        "kind": p.kind,
                        "applies_to": p.applies_to,
                        "text": p.text,
                        "warning": p.warning,
                        "order": i,
                    },
                    [sources[k] for k in p.sources],
                )
                for i, p in enumerate(data.precautions)
            ],
        )
        side_effects = self.sync_children(
            drug,
            "drug side effects",
            DrugSideEffect,
            {s.effect_id: s for s in current("side_effects")},
            [
                (
                    self.effects[s.effect].pk,
                    {"effect": self.effects[s.effect]},
                    {
                        "band": self.bands[s.band],
                        "heading": s.heading,
                        "figure_percent": s.figure_percent,
                        "figure_text": s.figure_text,
                        "text": s.text,
                        "order": i,
                    },
                    [sources[k] for k in s.sources],
                )
                for i, s in enumerate(data.side_effects)
            ],
        )
        self.sync_help_rules(
            [(side_effects[self.effects[i.effect].pk], i) for i in data.side_effects]
            + [(precautions[p.title], p) for p in data.precautions],
            sources,
        )
        self.sync_disagreements(
            drug, data, sources, sections, precautions, side_effects, current("disagreements")
        )

        children_changed = self._counted() != before
        if not is_new:
            self.result.add("drugs", "updated" if drug_changed else "unchanged")
            if not drug_changed and children_changed:
                # Only a child changed: the drug's timestamp should still say so.
                drug.save(update_fields=["updated_at"])
        self.written.append(
            Written(
                drug=drug,
                data=data,
                changed=is_new or drug_changed or children_changed,
                sections=list(sections.values()),
                precautions=list(precautions.values()),
                side_effects=[side_effects[self.effects[s.effect].pk] for s in data.side_effects],
            )
        )

    def sync_children(self, drug, kind, model, existing: dict, rows) -> dict:
        """Update or remove one drug's children by natural key, and queue new ones for the
        round's insert (flush); return them all by key."""
        by_key = {}
        for key, identity, values, sources in rows:
            obj = existing.pop(key, None)
            if obj is None:
                obj = model(drug=drug, **identity, **values)
                if isinstance(obj, MarkdownRendered):
                    obj.render()
                self.pending[model].append(obj)
                if sources:
                    self.links[model] += [(obj, s) for s in sources]
                self.result.add(kind, "created")
            else:
                changed = differs(obj, values)
                if changed:
                    apply(obj, values)
                    obj.save()
                if sources is not None and {s.pk for s in obj.sources.all()} != {
                    s.pk for s in sources
                }:
                    obj.sources.set(sources)
                    changed = True
                self.result.add(kind, "updated" if changed else "unchanged")
            by_key[key] = obj
        if existing:
            model.objects.filter(pk__in=[o.pk for o in existing.values()]).delete()
            self.result.add(kind, "removed", len(existing))
        return by_key

    def sync_help_rules(self, owners: list[tuple], sources: dict) -> None:
        """Replace an entry's rules when any of them changed; leave them alone otherwise."""
        for obj, item in owners:
            wanted = [self.rule_row(r, sources) for r in item.help_rules]
            have = (
                []
                # Not written yet (flush() inserts the round's new rows): no rules to compare.
                if obj.pk is None
                else [tuple(getattr(r, c) for c in RULE_COLUMNS) for r in obj.help_rules.all()]
            )
            if [_ids(row) for row in wanted] == have:
                self.result.add("help rules", "unchanged", len(wanted))
                continue
            if have:
                obj.help_rules.all().delete()
                self.result.add("help rules", "removed", len(have))
            self.help_rules += [(obj, (*row, i)) for i, row in enumerate(wanted)]
            self.result.add("help rules", "created", len(wanted))

    def rule_row(self, rule, sources: dict) -> tuple:
        """A rule's values in RULE_COLUMNS order, with its Source rows."""
        return (
            self.signs[rule.sign].pk,
            str(rule.urgency),
            rule.text,
            rule.threshold,
            rule.condition,
            self.floors[rule.says].pk,
            sources[rule.source],
            rule.escalation_reason,
            sources[rule.escalation_source] if rule.escalation_source else None,
        )

    def sync_disagreements(
        self, drug, data, sources, sections, precautions, side_effects, current
    ) -> None:
        places = {
            "section": lambda owner: {"section": sections[owner]},
            "precaution": lambda owner: {"precaution": precautions[owner]},
            "side_effect": lambda owner: {"side_effect": side_effects[self.effects[owner].pk]},
        }
        wanted = [(("section", d.section, d.topic), d) for d in data.disagreements]
        for p in data.precautions:
            wanted += [(("precaution", p.title, d.topic), d) for d in p.disagreements]
        for s in data.side_effects:
            wanted += [(("side_effect", s.effect, d.topic), d) for d in s.disagreements]

        # Key existing notes the same way, from the children already loaded above.
        owners = {
            "section": {o.pk: k for k, o in sections.items()},
            "precaution": {o.pk: k for k, o in precautions.items()},
            # By effect id: the effect rows are already loaded, one query each is not needed.
            "side_effect": {o.pk: self.effect_slugs[o.effect_id] for o in side_effects.values()},
        }
        existing = {}
        for note in current:
            for place in owners:
                owner_pk = getattr(note, f"{place}_id")
                if owner_pk is not None:
                    existing[(place, owners[place].get(owner_pk), note.topic)] = note

        self.sync_children(
            drug,
            "disagreements",
            Disagreement,
            existing,
            [
                (
                    key,
                    {},
                    {
                        "section": None,
                        "precaution": None,
                        "side_effect": None,
                        **places[key[0]](key[1]),
                        "topic": d.topic,
                        "text": d.text,
                        "order": i,
                    },
                    [sources[k] for k in d.sources],
                )
                for i, (key, d) in enumerate(wanted)
            ],
        )

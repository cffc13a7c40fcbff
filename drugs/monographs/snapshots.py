"""History snapshots: each historical record of a drug keeps the whole monograph as plain data.

The monograph is stored as compact JSON of its plain data (MonographData), which is cheap to
write for every record an import creates; the monograph file is produced from it only when
the history page or a rollback needs it. Records written before that keep the file as text.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import is_dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from simple_history.signals import post_create_historical_record

from drugs.models import Drug
from drugs.monographs.data import (
    FIGURE_STEP,
    DisagreementData,
    HelpRuleData,
    MonographData,
    PrecautionData,
    SectionData,
    SideEffectData,
    SourceData,
    canonical,
)
from drugs.monographs.export import monograph_data
from drugs.monographs.write import monograph_text

# Drugs loaded per round of prefetch queries when snapshots are filled (an import makes
# thousands at once; SQLite limits the parameters of one query).
CHUNK = 200

# --- plain data <-> JSON ------------------------------------------------------------------


def _plain(value):
    if is_dataclass(value):
        # Line numbers and the path only point into a file being read; a snapshot has none.
        return {k: _plain(v) for k, v in vars(value).items() if k not in ("line", "path")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot_json(data: MonographData) -> dict:
    """The monograph as JSON-ready plain values."""
    # Not dataclasses.asdict(): its deep copies cost more than the rest of a snapshot.
    return _plain(data)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _notes(rows: list[dict]) -> list[DisagreementData]:
    return [DisagreementData(**row) for row in rows]


def snapshot_data(values: dict) -> MonographData:
    """The monograph stored by snapshot_json(), as plain data again."""
    v = dict(values)
    v["path"] = f"{v['slug']}.md"
    v["last_reviewed"] = _date(v["last_reviewed"])
    v["next_review_due"] = _date(v["next_review_due"])
    v["sources"] = [
        SourceData(**{**s, "date": _date(s["date"]), "next_review": _date(s.get("next_review"))})
        for s in v["sources"]
    ]
    v["side_effects"] = [
        SideEffectData(
            **{
                **s,
                "figure_percent": (
                    None if s["figure_percent"] is None else Decimal(s["figure_percent"])
                ),
                "help_rules": [HelpRuleData(**r) for r in s["help_rules"]],
                "disagreements": _notes(s["disagreements"]),
            }
        )
        for s in v["side_effects"]
    ]
    v["precautions"] = [
        PrecautionData(
            **{
                **p,
                "help_rules": [HelpRuleData(**r) for r in p.get("help_rules", [])],
                "disagreements": _notes(p["disagreements"]),
            }
        )
        for p in v["precautions"]
    ]
    v["sections"] = [SectionData(**s) for s in v["sections"]]
    v["disagreements"] = _notes(v["disagreements"])
    return MonographData(**v)


def has_snapshot(record) -> bool:
    """Whether the historical record holds the monograph as it was."""
    return bool(record.monograph or record.monograph_data)


def snapshot_text(record) -> str:
    """The monograph file a historical record holds ("" if none was saved)."""
    if record.monograph:
        return record.monograph
    if record.monograph_data:
        return monograph_text(snapshot_data(record.monograph_data))
    return ""


# --- filling snapshots after commit ---------------------------------------------------------


def fill_snapshots(items: list[tuple[int, int]]) -> None:
    """Store each drug's monograph, as it is now, on its historical record: (history_id, drug_id)."""
    drug_ids = sorted({drug_id for _, drug_id in items})
    drugs = {}
    for start in range(0, len(drug_ids), CHUNK):
        chunk = drug_ids[start : start + CHUNK]
        for drug in (
            Drug.objects.with_monograph().select_related("revision_of").filter(pk__in=chunk)
        ):
            data = monograph_data(drug)
            if drug.revision_of:
                # Stored under the live slug, so the snapshot is a valid monograph file.
                data.slug = drug.revision_of.slug
            drugs[drug.pk] = snapshot_json(data)
    # One transaction: on SQLite each statement would otherwise be its own commit.
    with transaction.atomic():
        for history_id, drug_id in items:
            if drug_id in drugs:
                # The drug id guards against a record left by a rolled-back transaction.
                Drug.history.filter(history_id=history_id, id=drug_id).update(
                    monograph_data=drugs[drug_id]
                )


# Records waiting for their transaction to commit, per thread and database.
_waiting = threading.local()


def imported_snapshot(data: MonographData) -> dict | None:
    """The snapshot of a monograph as just imported, from its parsed data: what fill_snapshots
    would store after reloading the drug; None where the database might store it otherwise."""
    sections = {s.kind for s in data.sections}
    if any(n.section not in sections for n in data.disagreements):
        return None
    for item in data.side_effects:
        # A figure the column would round is left to the reload: databases round differently.
        if (
            item.figure_percent is not None
            and item.figure_percent.quantize(FIGURE_STEP) != item.figure_percent
        ):
            return None
    return snapshot_json(canonical(data))


def fill_imported(parsed: dict[int, MonographData], using: str = DEFAULT_DB_ALIAS) -> None:
    """Fill the waiting records of drugs an import has just written, from their parsed
    monographs (drug id -> data), inside the import's transaction; others wait for the commit."""
    queue = _queue(using)
    snapshots, waiting = {}, []
    for history_id, drug_id in queue:
        if drug_id in parsed and drug_id not in snapshots:
            snapshots[drug_id] = imported_snapshot(parsed[drug_id])
        if snapshots.get(drug_id) is None:
            waiting.append((history_id, drug_id))
        else:
            Drug.history.filter(history_id=history_id, id=drug_id).using(using).update(
                monograph_data=snapshots[drug_id]
            )
    queue[:] = waiting


def record_created(drugs: list[Drug], parsed: dict[int, MonographData]) -> None:
    """The "created" history records of drugs an import has just bulk-inserted, each with its
    snapshot from the parsed monograph (drug id -> data); others wait for the commit.

    bulk_create sends no post_save, so simple_history makes no record itself: these rows are
    the ones its bulk_history_create() would make, plus the snapshot, in one insert.
    """
    Historical = Drug.history.model
    now = timezone.now()
    records = []
    for drug in drugs:
        record = Historical(
            history_date=now,
            history_type="+",
            history_user=Historical.get_default_history_user(drug),
            history_change_reason=None,
            monograph_data=imported_snapshot(parsed[drug.pk]),
            **{field.attname: getattr(drug, field.attname) for field in Historical.tracked_fields},
        )
        records.append(record)
    Historical.objects.bulk_create(records)
    waiting = [(r.history_id, r.id) for r in records if r.monograph_data is None]
    if waiting:
        _queue(DEFAULT_DB_ALIAS).extend(waiting)
        transaction.on_commit(lambda: _fill_waiting(DEFAULT_DB_ALIAS))


def _queue(using: str) -> list[tuple[int, int]]:
    queues = _waiting.__dict__.setdefault("queues", {})
    return queues.setdefault(using, [])


def _fill_waiting(using: str) -> None:
    # The first callback of a commit fills every waiting record at once (one round of
    # prefetch queries for all the drugs); the others find the queue empty. A record whose
    # callback was discarded by a rollback may still be queued: filling it is harmless, the
    # update matches nothing or writes the drug's current content, as its own callback would.
    queue = _queue(using)
    items = queue[:]
    queue.clear()
    if items:
        fill_snapshots(items)


def snapshot_after_commit(sender, instance, history_instance, using=None, **kwargs):
    # Children are saved after the drug row (by the admin's inlines and by the importer), so
    # the snapshot waits for the transaction to commit to see them all.
    if sender is Drug.history.model and history_instance.history_type != "-":
        using = using or DEFAULT_DB_ALIAS
        _queue(using).append((history_instance.history_id, instance.pk))
        transaction.on_commit(lambda: _fill_waiting(using), using=using)


def connect() -> None:
    post_create_historical_record.connect(
        snapshot_after_commit, dispatch_uid="drugs.monographs.snapshots"
    )

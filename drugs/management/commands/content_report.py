from django.core.management.base import BaseCommand, CommandError

from drugs.editorial.readability import (
    MAX_SENTENCE_WORDS,
    Report,
    drug_blocks,
    glossary_words,
    patient_facing_text,
    report_for_text,
)
from drugs.models import Drug, GlossaryTerm


class Command(BaseCommand):
    help = (
        "Print readability figures for each drug: Flesch reading ease, Flesch-Kincaid grade, "
        f"sentences over {MAX_SENTENCE_WORDS} words and medical words with no glossary entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--drug", metavar="SLUG", help="report on this drug only")

    def handle(self, *args, drug=None, **options):
        drugs = Drug.objects.with_monograph().order_by("name")
        if drug:
            drugs = drugs.filter(slug=drug)
            if not drugs:
                raise CommandError(f"No drug with the slug {drug!r}.")
        explained = glossary_words(GlossaryTerm.objects.values_list("term", "aliases"))
        for item in drugs:
            self.report_drug(item, explained)

    def report_drug(self, drug, explained):
        self.stdout.write(self.style.MIGRATE_HEADING(f"{drug.name} ({drug.slug})"))
        blocks = drug_blocks(drug)
        for block in blocks:
            label = block.label if block.patient_facing else f"{block.label} (not in the total)"
            self.write_report(label, report_for_text(block.text, explained))
        total = report_for_text(patient_facing_text(blocks), explained)
        self.write_report("Patient-facing total", total, details=False)
        self.stdout.write("")

    def write_report(self, label: str, report: Report, details: bool = True):
        self.stdout.write(
            f"  {label}: reading ease {report.reading_ease:.1f}, grade {report.grade:.1f}, "
            f"{report.words} words, {report.sentences} sentences, "
            f"{len(report.long_sentences)} over {MAX_SENTENCE_WORDS} words, "
            f"{len(report.unexplained_terms)} medical words not in the glossary"
        )
        if not details:
            return
        for sentence in report.long_sentences:
            self.stdout.write(f"    long sentence: {sentence}")
        if report.unexplained_terms:
            self.stdout.write(f"    not in the glossary: {', '.join(report.unexplained_terms)}")

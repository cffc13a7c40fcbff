from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from drugs.monographs.export import export_all


class Command(BaseCommand):
    help = "Write the database back as monograph files (the inverse of import_monographs)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", type=Path, default=None, help="folder to write to (default: content/)"
        )

    def handle(self, *args, out, verbosity, **options):
        written = export_all(out or Path(settings.CONTENT_DIR))
        if verbosity >= 2:
            for path in written:
                self.stdout.write(str(path))
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} files."))

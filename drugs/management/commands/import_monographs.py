import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from drugs.monographs.files import expand_paths, read_content
from drugs.monographs.importer import ImportFailed, import_content, validate
from drugs.monographs.memory import fewer_collections, keep_out_of_collections

# Beyond this many files, print progress as they are read.
PROGRESS_FROM = 20


class Command(BaseCommand):
    help = (
        "Load monographs (and the shared band, side-effect and glossary files) into the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", type=Path, help="files or folders (default: content/)"
        )
        parser.add_argument("--check", action="store_true", help="validate only; write nothing")

    def handle(self, *args, **options):
        with fewer_collections():
            self.load(**options)

    def load(self, *, paths, check, verbosity, **options):
        files, problems = expand_paths(paths or [Path(settings.CONTENT_DIR)])
        if not files and not problems:
            raise CommandError("No monographs found.")

        progress = None
        if len(files) >= PROGRESS_FROM and verbosity >= 1:
            step = max(1, len(files) // 20)

            def progress(done, total):
                if done % step == 0 or done == total:
                    self.stderr.write(
                        f"read {done}/{total} files", ending="\r" if sys.stderr.isatty() else "\n"
                    )

        content, found = read_content(files, progress)
        # Alive for the whole import: no collection needs to look at them again.
        keep_out_of_collections()
        problems += found
        if problems:
            self.fail(problems)

        if check:
            # The checks against the database that import_content() runs before it writes.
            problems = validate(content)
            if problems:
                self.fail(problems)
            self.stdout.write(
                self.style.SUCCESS(f"{len(files)} files are valid. Nothing was written.")
            )
            return

        try:
            result = import_content(content)
        except ImportFailed as exc:
            self.fail(exc.problems)
        for line in result.lines():
            self.stdout.write(line)
        if result.changed:
            self.stdout.write(self.style.SUCCESS(f"Imported {len(content.monographs)} monographs."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing changed: the database already matches."))

    def fail(self, problems):
        for problem in problems:
            self.stderr.write(str(problem))
        raise CommandError(f"{len(problems)} problem(s) found; nothing was written.")

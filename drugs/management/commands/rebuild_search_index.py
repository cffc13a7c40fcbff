from django.core.management.base import BaseCommand
from django.db import connection, transaction

from drugs.models import SearchDocument
from drugs.search import index, install


class Command(BaseCommand):
    help = "Rebuild the search documents of every published drug and glossary term."

    def handle(self, *args, **options):
        with transaction.atomic():
            if connection.vendor == "sqlite":
                # Re-create the FTS5 triggers first: a later migration that remakes the
                # table (SQLite's way to alter a field) drops them.
                with connection.cursor() as cursor:
                    install(cursor)
            index.rebuild_all()
        count = SearchDocument.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {count} documents."))

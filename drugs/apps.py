from django.apps import AppConfig


class DrugsConfig(AppConfig):
    name = "drugs"
    verbose_name = "Medication guide"

    def ready(self):
        # The three things kept in step with every content change connect the same way.
        from drugs import page_cache
        from drugs.models import line_endings
        from drugs.monographs import snapshots
        from drugs.search import index

        # One line ending in stored text, so diffs show only what an editor changed.
        line_endings.connect()
        # Every historical record of a drug keeps its whole monograph.
        snapshots.connect()
        # Any content save or delete makes cached pages stale.
        page_cache.connect()
        # Edits made one object at a time keep the search documents current.
        index.connect()

from django.apps import AppConfig


class DrugsConfig(AppConfig):
    name = "drugs"
    verbose_name = "Medication guide"

    def ready(self):
        from drugs import page_cache
        from drugs.monographs import snapshots

        # Every historical record of a drug keeps its whole monograph (see drugs.monographs.snapshots).
        snapshots.connect()
        # Any content save or delete makes cached pages stale (see drugs.page_cache).
        page_cache.connect()
        # Content edits keep the search documents current (see drugs.search.index).
        from drugs.search import index  # noqa: F401

import os
from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture
def fixture_content(tmp_path):
    """A private copy of the small test content set, safe to edit in a test."""
    target = tmp_path / "content"
    target.mkdir()
    for path in FIXTURE_CONTENT.iterdir():
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


@pytest.fixture
def real_content(db):
    """The project's real monographs, imported."""
    call_command("import_monographs", verbosity=0)


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

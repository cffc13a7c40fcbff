import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from meds_site.settings import envbool, envint, envlist

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("Yes", True), ("0", False), ("false", False), ("NO", False)],
)
def test_envbool_accepts_the_documented_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)

    assert envbool("FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["on", "2", "truthy", "y"])
def test_envbool_rejects_anything_else(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        envbool("FLAG", False)


def test_envbool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)

    assert envbool("FLAG", True) is True


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , ,b.example,")

    assert envlist("HOSTS") == ["a.example", "b.example"]


def test_envint_rejects_text(monkeypatch):
    monkeypatch.setenv("NUMBER", "ten")

    with pytest.raises(ImproperlyConfigured, match="NUMBER"):
        envint("NUMBER", 1)


def load_settings(**env) -> subprocess.CompletedProcess:
    """Import the production settings module in a clean process with the given environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "SITE_URL", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import meds_site.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_debug_is_off_by_default_and_then_a_secret_key_is_required():
    result = load_settings()

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sqlite_is_the_default_database():
    result = load_settings(SECRET_KEY="x" * 60, ALLOWED_HOSTS="meds.example.org")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3"]


def test_database_url_selects_postgresql():
    result = load_settings(
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="meds.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/x",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "django.db.backends.postgresql"


def test_production_without_an_address_stops_start_up():
    result = load_settings(SECRET_KEY="x" * 60)

    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_a_bad_debug_value_stops_start_up():
    result = load_settings(DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr

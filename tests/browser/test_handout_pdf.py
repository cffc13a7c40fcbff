"""Each drug's handout, printed to PDF by Chromium: at most 2 A4 pages, with the nurse's details."""

import datetime
import re
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from drugs.handouts import MAX_CALENDAR_WEEKS
from tests.conftest import FIXTURE_CONTENT, require_tool

PHONE = "0161 446 3000"
# The longest calendar the form allows (7 cycles of 26 days = 26 weeks), started on a Sunday
# so that it spreads over the most week rows: if this fits, every allowed handout fits.
DAYS_ON, DAYS_OFF, CYCLES = 21, 5, 7


def content_dir() -> Path:
    """The real monographs once they exist; the small test set until then."""
    real = Path(settings.CONTENT_DIR)
    return real if any(real.glob("*.md")) else FIXTURE_CONTENT


def drug_slugs() -> list[str]:
    return sorted(p.stem for p in content_dir().glob("*.md") if p.name.lower() != "readme.md")


def page_count(pdf: Path) -> int:
    pdfinfo = require_tool("pdfinfo", "apt-get install poppler-utils")
    info = subprocess.run([pdfinfo, pdf], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def pdf_text(pdf: Path) -> str:
    pdftotext = require_tool("pdftotext", "apt-get install poppler-utils")
    text = subprocess.run([pdftotext, pdf, "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


@pytest.mark.browser
@pytest.mark.parametrize("slug", drug_slugs())
@pytest.mark.parametrize("pregnancy", ["all", "can-get-pregnant"])
def test_it_prints_each_handout_on_2_a4_pages(
    slug, pregnancy, page, live_server, transactional_db, tmp_path
):
    call_command("import_monographs", str(content_dir()), verbosity=0)
    first_day = datetime.date.today() + datetime.timedelta(days=30)
    first_day += datetime.timedelta(days=(6 - first_day.weekday()) % 7)
    query = {
        "phone": PHONE,
        "patient_name": "Alex Taylor-Smith",
        "first_day": first_day.isoformat(),
        "days_on": DAYS_ON,
        "days_off": DAYS_OFF,
        "cycles": CYCLES,
        "pregnancy": pregnancy,
    }
    assert (DAYS_ON + DAYS_OFF) * CYCLES == MAX_CALENDAR_WEEKS * 7
    url = live_server.url + reverse("drugs:handout", kwargs={"slug": slug}) + "?" + urlencode(query)

    response = page.goto(url)
    assert response.status == 200, page.content()[:2000]
    pdf = tmp_path / f"{slug}.pdf"
    # Chromium's own defaults: A4, no margins passed, so the stylesheet's @page margins apply.
    page.pdf(path=pdf, format="A4")

    pages = page_count(pdf)
    text = pdf_text(pdf)
    assert pages <= 2, f"{slug} handout prints on {pages} pages"
    assert PHONE in text
    assert f"{first_day:%A} {first_day.day} {first_day:%B %Y}" in text
    assert "Call your 24-hour line now if:" in text or "Call 999 now if:" in text
    assert "Take" in text and "Rest" in text

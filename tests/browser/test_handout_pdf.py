"""Each drug's handout, filled in and printed to PDF by Chromium as a nurse would.

At most 2 A4 pages with the number and a first day (the longest calendar the form allows, every
pregnancy point); print sizes an older reader can read; cards never split; the page's own footer.
"""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from drugs.handout.forms import MAX_CALENDAR_WEEKS
from tests.conftest import FIXTURE_CONTENT, require_tool

PHONE = "0161 446 3000 option 2"
NAME = "Alex Taylor-Smith"
FIRST_DAY = "2027-01-03"
# The longest calendar the form allows: 2 cycles of 28 days, 8 weeks.
DAYS_ON, DAYS_OFF, CYCLES = 21, 7, 2
# CSS pixels: 12 pt, 11 pt, 10 pt and 16 pt.
BODY_PX, CALENDAR_PX, SMALLEST_PX, LARGE_PX = 16, 14.66, 13.33, 21.33
A4_WIDTH_PT, A4_HEIGHT_PT = 595, 842

pytestmark = pytest.mark.browser


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


def pdf_text(pdf: Path, *options: str) -> str:
    pdftotext = require_tool("pdftotext", "apt-get install poppler-utils")
    text = subprocess.run(
        [pdftotext, *options, pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def crop(page: int, top: int, height: int) -> list[str]:
    """pdftotext options for a strip of one page, in points from the top."""
    area = ["-x", "0", "-y", str(top), "-W", str(A4_WIDTH_PT), "-H", str(height)]
    return ["-f", str(page), "-l", str(page), *area]


def page_texts(pdf: Path) -> list[str]:
    return [pdf_text(pdf, "-f", str(n), "-l", str(n)) for n in range(1, page_count(pdf) + 1)]


@pytest.fixture
def site(live_server, transactional_db):
    call_command("import_monographs", str(content_dir()), verbosity=0)
    return live_server.url


def fill_in(page, site: str, slug: str, **fields) -> None:
    """Open the form, fill in what is given, submit it as a nurse would (POST, CSRF token)."""
    response = page.goto(site + reverse("drugs:handout", kwargs={"slug": slug}))
    assert response.status == 200
    for name, value in fields.items():
        if name in ("pregnancy", "calendar"):
            page.check(f"input[name={name}][value={value}]")
        elif name == "large_print":
            page.check("#id_large_print")
        else:
            page.fill(f"#id_{name}", str(value))
    with page.expect_navigation() as navigation:
        page.click("form.handout-form button[type=submit]")
    assert navigation.value.status == 200, page.content()[:3000]
    assert page.locator("article.handout").count() == 1


def print_sizes(page) -> list[dict]:
    """Every element with its own text, in print media: its font size and where it is."""
    page.emulate_media(media="print")
    return page.evaluate(
        """() => [...document.querySelectorAll('.handout *')].filter(el =>
              [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
              && getComputedStyle(el).display !== 'none' && el.getClientRects().length
           ).map(el => ({
              text: el.textContent.trim().slice(0, 40),
              px: parseFloat(getComputedStyle(el).fontSize),
              color: getComputedStyle(el).color,
              calendar: !!el.closest('.calendar-grid'),
              footer: !!el.closest('.handout-footer'),
              hidden: !!el.closest('.visually-hidden'),
           }))"""
    )


@pytest.mark.parametrize("slug", drug_slugs())
@pytest.mark.parametrize("pregnancy", ["all", "can-get-pregnant", "could-make-pregnant"])
def test_it_prints_the_longest_handout_on_2_a4_pages(slug, pregnancy, page, site, tmp_path):
    assert (DAYS_ON + DAYS_OFF) * CYCLES == MAX_CALENDAR_WEEKS * 7
    fill_in(
        page,
        site,
        slug,
        phone=PHONE,
        patient_name=NAME,
        first_day=FIRST_DAY,
        days_on=DAYS_ON,
        days_off=DAYS_OFF,
        cycles=CYCLES,
        pregnancy=pregnancy,
    )
    pdf = tmp_path / f"{slug}.pdf"
    # Chromium's own defaults: A4, no margins passed, so the stylesheet's @page margins apply.
    page.pdf(path=pdf, format="A4")

    pages = page_count(pdf)
    text = pdf_text(pdf)
    assert pages <= 2, f"{slug} ({pregnancy}) prints on {pages} pages"
    assert PHONE in text and NAME in text
    assert "Sunday 3 January 2027" in text
    assert "Call your team now if:" in text and "Call 999 if:" in text
    assert "Take" in text and "Rest" in text
    assert "Your full guide has more" in text
    # The handout's own footer, with nothing personal in it: the bottom margin of each page.
    for n in range(1, pages + 1):
        footer = pdf_text(pdf, *crop(n, A4_HEIGHT_PT - 34, 34))
        assert footer == f"Page {n} of {pages}", footer
        # Nothing above the content either: no browser header with the address or title.
        assert pdf_text(pdf, *crop(n, 0, 24)) == ""


@pytest.mark.parametrize("slug", drug_slugs())
def test_only_the_number_gives_a_handout(slug, page, site, tmp_path):
    fill_in(page, site, slug, phone="01234 567890")
    pdf = tmp_path / f"{slug}.pdf"
    page.pdf(path=pdf, format="A4")
    text = pdf_text(pdf)
    assert "01234 567890" in text and "When to get help" in text
    assert "Your treatment calendar" in text


@pytest.mark.parametrize("slug", drug_slugs())
def test_no_card_splits_across_a_page_break(slug, page, site, tmp_path):
    fill_in(page, site, slug, phone=PHONE, first_day=FIRST_DAY, pregnancy="all")
    cards = page.evaluate(
        """() => [...document.querySelectorAll('.help-card')].map(card => [
              card.querySelector('h3').innerText.trim(),
              card.querySelector('.signs > li:last-child strong').innerText.trim()])"""
    )
    assert cards
    pdf = tmp_path / f"{slug}.pdf"
    page.pdf(path=pdf, format="A4")
    texts = page_texts(pdf)
    for heading, last_sign in cards:
        start = next(i for i, t in enumerate(texts) if heading.split(" ", 1)[-1] in t)
        assert last_sign in texts[start], f"{heading!r} continues onto the next page"


@pytest.mark.parametrize("slug", drug_slugs())
def test_print_sizes_suit_an_older_reader_in_black_and_white(slug, page, site):
    fill_in(page, site, slug, phone=PHONE, first_day=FIRST_DAY, pregnancy="all")
    small = []
    for el in print_sizes(page):
        if el["hidden"]:
            continue
        floor = CALENDAR_PX if el["calendar"] else SMALLEST_PX if el["footer"] else BODY_PX
        if el["px"] < floor:
            small.append(el)
        assert el["color"] == "rgb(0, 0, 0)", el
    assert not small, small
    assert all(el["px"] >= SMALLEST_PX for el in print_sizes(page))


@pytest.mark.parametrize("slug", drug_slugs())
def test_large_print_is_16_point_everywhere(slug, page, site, tmp_path):
    fill_in(page, site, slug, phone=PHONE, first_day=FIRST_DAY, large_print=True)
    sizes = [el for el in print_sizes(page) if not el["hidden"]]
    small = [el for el in sizes if el["px"] < LARGE_PX]
    assert not small, small
    pdf = tmp_path / f"{slug}-large.pdf"
    page.pdf(path=pdf, format="A4")
    assert PHONE in pdf_text(pdf)

"""The drug editor in Chromium: a new drug from scratch in one save, through review to the public page;
the change page's height and its preview requests."""

import importlib

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from drugs.editorial import workflow
from drugs.models import Drug, FrequencyBand, Sign, Status, TimingPhrase
from tests.factories import DrugFactory, FrequencyBandFactory, SectionFactory, StaffUserFactory

pytestmark = pytest.mark.browser


def log_in(browser, live_server, user):
    """A browser context with `user` logged in to the admin."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


@pytest.fixture
def groups(transactional_db):
    """The Editors and Clinical reviewers groups: a live-server test's flush removes the
    migration's rows, so they are made again from its lists."""
    from django.contrib.auth.models import Group, Permission

    made = importlib.import_module("drugs.migrations.0004_editor_groups")
    for name, codenames in (
        (made.EDITORS, made.EDITOR_PERMISSIONS),
        (made.REVIEWERS, made.REVIEWER_PERMISSIONS),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="drugs", codename__in=codenames)
        )


@pytest.fixture
def editor(groups):
    return StaffUserFactory(username="editor", groups=["Editors"])


@pytest.fixture
def lenalidomide_revision(live_server, editor):
    """A pending revision of the real lenalidomide page: what an editor edits."""
    call_command("import_monographs", verbosity=0)
    return workflow.start_revision(Drug.objects.get(slug="lenalidomide"), editor)


def test_the_lenalidomide_change_page_is_short_and_previews_only_on_demand(
    browser, live_server, editor, lenalidomide_revision
):
    """Before this page was folded: 101,377px tall, 2,847px wide, 97 preview requests on load."""
    context = log_in(browser, live_server, editor)
    page = context.new_page()
    preview_url = reverse("markdownx_markdownify")
    previews = []
    page.on("request", lambda r: previews.append(r.url) if preview_url in r.url else None)
    # nested_admin's script and ours under the site's Content-Security-Policy.
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    url = live_server.url + reverse("admin:drugs_drug_change", args=[lenalidomide_revision.pk])
    page.goto(url)
    page.wait_for_load_state("networkidle")

    def size():
        return page.evaluate(
            "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
        )

    folded = size()
    # Every group open, each row still folded to its name: the sources among them.
    page.evaluate(
        "document.querySelectorAll('.inline-group > fieldset > details')"
        ".forEach(d => d.open = true)"
    )
    groups_open = size()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    everything_open = size()
    print(
        f"\nlenalidomide change page (height, width) in px: folded {folded}, "
        f"groups open {groups_open}, everything open {everything_open}; "
        f"{len(previews)} preview requests on load"
    )
    assert previews == []
    assert script_errors == []
    # Chromium asks for a favicon the admin does not have.
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert folded[0] < 3_000 and groups_open[0] < 15_000
    assert groups_open[1] <= 1280 and everything_open[1] <= 1280

    button = page.locator("#sections-0 .markdown-preview-button")
    with page.expect_response(lambda r: preview_url in r.url):
        button.click()
    preview = page.locator("#sections-0 .markdown-preview")
    preview.wait_for(state="visible")
    assert len(previews) == 1
    assert preview.inner_html().startswith("<p>")
    context.close()


def test_markdown_fields_are_edited_without_javascript(browser, live_server, editor):
    drug = DrugFactory(status=Status.DRAFT, slug="quietamide", name="Quietamide")
    SectionFactory(drug=drug, text="Old words.")
    client = Client()
    client.force_login(editor)
    no_js = browser.new_context(java_script_enabled=False)
    no_js.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = no_js.new_page()
    page.goto(live_server.url + reverse("admin:drugs_drug_change", args=[drug.pk]))
    # The folded group and row open with the browser's own <details>, no script.
    page.click("#sections-group summary >> nth=0")
    page.click("#sections-0 summary")
    assert page.locator("#id_sections-0-text").is_visible()
    # The Preview button needs the script, so without it there is none to press.
    assert not page.locator("#sections-0 .markdown-preview-button").is_visible()
    page.fill("#id_sections-0-text", "New words.")
    page.click("input[name=_continue]")
    assert drug.sections.get().text == "New words."
    no_js.close()


SECTIONS = [
    ("about", "What it is", "It treats myeloma."),
    ("how-to-take", "How to take it", "Swallow the capsule whole with water."),
    ("missed-doses", "Missed doses", "Ask your team what to do."),
    ("getting-help", "When to get help", "Call your team if you feel unwell."),
]


def cite_new_source(page, select_id: str) -> None:
    """Move "Source #1 (new)" into the chosen box of a two-box source picker."""
    page.select_option(f"#{select_id}_from", "new-0")
    page.click(f"#{select_id}_add")
    assert page.locator(f"#{select_id}_to option[value='new-0']").count() == 1


def test_an_editor_writes_a_new_drug_in_one_save_and_a_second_person_publishes_it(
    browser, live_server, editor, transactional_db
):
    call_command("import_monographs", verbosity=0)
    reviewer = StaffUserFactory(username="reviewer", groups=["Clinical reviewers"])
    timing = TimingPhrase.objects.order_by("phrase").first()
    sign = Sign.objects.order_by("name").first()
    band = FrequencyBand.objects.get(scale="standard", key="common")

    context = log_in(browser, live_server, editor)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:drugs_drug_add"))
    page.locator("#id_name").press_sequentially("Testumab")
    assert page.input_value("#id_slug") == "testumab"
    page.fill("#id_brand_names", "Testa\nTesta XL")
    page.fill("#id_treats", "Myeloma")
    page.fill("#id_summary", "A capsule for myeloma.")

    page.fill("#id_sources-0-key", "leaflet")
    page.fill("#id_sources-0-publisher", "Example Cancer Charity")
    page.fill("#id_sources-0-title", "Testumab leaflet")

    for i, (kind, title, text) in enumerate(SECTIONS):
        page.select_option(f"#id_sections-{i}-kind", kind)
        page.fill(f"#id_sections-{i}-title", title)
        page.fill(f"#id_sections-{i}-text", text)
        cite_new_source(page, f"id_sections-{i}-sources")

    page.select_option("#id_side_effects-0-effect", label="Infection")
    page.select_option("#id_side_effects-0-band", label=f"{band.label} ({band.phrase})")
    page.fill("#id_side_effects-0-text", "You may get infections more easily.")
    cite_new_source(page, "id_side_effects-0-sources")
    rule = "#id_side_effects-0-help_rules-0"
    page.select_option(f"{rule}-sign", str(sign.pk))
    page.fill(f"{rule}-text", "your temperature goes above 38°C")
    page.select_option(f"{rule}-urgency", timing.floor)
    page.select_option(f"{rule}-timing", str(timing.pk))
    page.select_option(f"{rule}-source", "new-0")

    page.click("input[name=_continue]")
    assert page.locator(".errornote").count() == 0, page.locator(".errorlist").all_inner_texts()
    drug = Drug.objects.get(slug="testumab")
    source = drug.sources.get()
    assert drug.brand_names == ["Testa", "Testa XL"]
    assert sorted(drug.sections.values_list("kind", flat=True)) == sorted(k for k, _, _ in SECTIONS)
    assert all(list(s.sources.all()) == [source] for s in drug.sections.all())
    effect = drug.side_effects.get()
    assert effect.effect.name == "Infection" and list(effect.sources.all()) == [source]
    assert effect.help_rules.get().source == source

    page.click("text=Preview as patients see it")
    assert "Swallow the capsule whole with water." in page.content()
    page.go_back()
    page.click("button:has-text('Submit for review')")
    drug.refresh_from_db()
    assert drug.status == Status.REVIEW
    context.close()

    context = log_in(browser, live_server, reviewer)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:drugs_drug_change", args=[drug.pk]))
    page.click("button:has-text('Publish')")
    drug.refresh_from_db()
    assert drug.status == Status.PUBLISHED, page.locator(".messagelist").all_inner_texts()
    context.close()

    public = browser.new_context().new_page()
    assert public.goto(live_server.url + drug.get_absolute_url()).status == 200
    assert "Testumab" in public.content()
    # How to take it is a part of its own; the whole guide holds everything.
    assert public.goto(live_server.url + reverse("drugs:guide", args=[drug.slug])).status == 200
    assert "Swallow the capsule whole" in public.content()
    public.context.close()


def test_a_source_added_on_the_page_can_be_cited_at_once(browser, live_server, editor):
    FrequencyBandFactory()
    context = log_in(browser, live_server, editor)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:drugs_drug_add"))
    page.click("#sources-group .djn-add-handler")
    assert page.locator("#sources-1 .inline_label").inner_text() == "#2"
    label = "Source #2 (new, in this form)"
    assert page.locator("#id_sections-0-sources_from option[value='new-1']").inner_text() == label
    rule_source = page.locator("#id_side_effects-0-help_rules-0-source option[value='new-1']")
    assert rule_source.inner_text() == label
    context.close()


def test_removing_a_new_source_clears_citations_of_new_sources_rather_than_guess(
    browser, live_server, editor
):
    FrequencyBandFactory()
    context = log_in(browser, live_server, editor)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:drugs_drug_add"))
    add = page.locator("#sources-group .djn-add-handler")
    add.click()
    add.click()
    page.select_option("#id_sections-0-sources_from", "new-2")
    page.click("#id_sections-0-sources_add")
    page.select_option("#id_side_effects-0-help_rules-0-source", "new-2")
    # Removing source #2 moves source #3 into its place: "new-2" would now name nothing,
    # and "new-1" a different source from the one chosen.
    page.click("#sources-1 .djn-remove-handler")
    assert page.locator("#id_sections-0-sources_to option").count() == 0
    assert page.input_value("#id_side_effects-0-help_rules-0-source") == ""
    offered = page.locator("#id_sections-0-sources_from option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert offered == ["new-0", "new-1"]
    assert "choose the sources again" in page.locator("#sources-renumbered").inner_text()
    context.close()


def test_a_new_drug_is_written_in_one_save_without_javascript(browser, live_server, editor):
    call_command("import_monographs", verbosity=0)
    timing = TimingPhrase.objects.order_by("phrase").first()
    client = Client()
    client.force_login(editor)
    no_js = browser.new_context(java_script_enabled=False)
    no_js.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = no_js.new_page()
    page.goto(live_server.url + reverse("admin:drugs_drug_add"))
    page.fill("#id_name", "Quietumab")  # the slug is made from it on saving
    page.fill("#id_treats", "Myeloma")
    page.fill("#id_summary", "A capsule for myeloma.")
    page.fill("#id_sources-0-key", "leaflet")
    page.fill("#id_sources-0-publisher", "Example Cancer Charity")
    page.fill("#id_sources-0-title", "Quietumab leaflet")
    for i, (kind, title, text) in enumerate(SECTIONS):
        assert page.input_value(f"#id_sections-{i}-kind") == kind
        page.fill(f"#id_sections-{i}-title", title)
        page.fill(f"#id_sections-{i}-text", text)
        page.select_option(f"#id_sections-{i}-sources", "new-0")
    page.select_option("#id_side_effects-0-effect", label="Infection")
    page.select_option("#id_side_effects-0-band", index=1)
    page.fill("#id_side_effects-0-text", "You may get infections more easily.")
    page.select_option("#id_side_effects-0-sources", "new-0")
    rule = "#id_side_effects-0-help_rules-0"
    page.select_option(f"{rule}-sign", index=1)
    page.fill(f"{rule}-text", "your temperature goes above 38°C")
    page.select_option(f"{rule}-urgency", timing.floor)
    page.select_option(f"{rule}-timing", str(timing.pk))
    page.select_option(f"{rule}-source", "new-0")
    page.click("input[name=_continue]")
    assert page.locator(".errornote").count() == 0, page.locator(".errorlist").all_inner_texts()
    drug = Drug.objects.get(slug="quietumab")
    source = drug.sources.get()
    assert drug.sections.count() == 4
    assert all(list(s.sources.all()) == [source] for s in drug.sections.all())
    assert drug.side_effects.get().help_rules.get().source == source
    no_js.close()

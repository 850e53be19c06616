"""Journeys through the browser in a real headless Chromium: from the home page to the force,
a judgment, its provenance quote and the report reader; a search; an example query run and
its CSV downloaded; the charts; and reading pages with JavaScript off. Every journey ends
with no console error and no request outside 127.0.0.1."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_home_to_force_to_judgment_to_quote_to_report(browser_page):
    page, watch = browser_page
    page.goto("/")
    assert page.locator("h1").first.inner_text().startswith("Crime inspection 2014")
    page.get_by_role("region", name="The force").get_by_role(
        "link", name="Leicestershire Police"
    ).click()
    page.wait_for_url(re.compile(r"/doc/force/leicestershire$"))
    assert page.locator("h1").inner_text() == "Leicestershire Police"

    page.locator(
        'a[href="/doc/judgment/leicestershire-2014/reducing-crime"] >> visible=true'
    ).first.click()
    page.wait_for_url(re.compile(r"/doc/judgment/leicestershire-2014/reducing-crime$"))
    provenance = page.get_by_role("region", name="Where the report says so")
    quote = provenance.locator("blockquote").first.inner_text()
    assert quote.strip("“” \n")

    provenance.get_by_role("link", name="read it in the report").first.click()
    page.wait_for_url(re.compile(r"/report\?highlight=.+#paragraph-\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    passage = page.locator(f"#{anchor}")
    assert passage.is_visible()
    focused = passage.locator("mark.quote.focus")
    assert focused.count() >= 1
    assert quote.strip("“” \n")[:20] in passage.inner_text()
    box = passage.bounding_box()
    assert box is not None and box["y"] < page.viewport_size["height"]  # scrolled to it
    watch.assert_clean()


def test_search_from_the_header(browser_page):
    page, watch = browser_page
    page.goto("/")
    page.get_by_label("Search the graph").fill("operation tiger")
    page.get_by_label("Search the graph").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=operation\+tiger"))
    first = page.locator("ol.hits li .hit-title a").first
    assert "Operation Tiger" in first.inner_text()
    page.get_by_role("navigation", name="Filter by type").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"type="))
    assert page.locator("ol.hits li").count() >= 1
    watch.assert_clean()


def test_example_query_runs_and_its_csv_downloads(no_js_page, tmp_path):
    page, watch = no_js_page  # the server-side form; tests/browser/test_query_ui.py has YASGUI's
    page.goto("/query")
    page.get_by_role("link", name="Crime rates against England and Wales").click()
    page.wait_for_url(re.compile(r"example=example-crime-rates"))
    rows = page.locator("table.results tbody tr")
    assert rows.count() >= 5
    page.get_by_role("button", name="Run query").click()  # runs again from the editor
    page.wait_for_url(re.compile(r"/query\?query="))
    assert page.locator("table.results tbody tr").count() == rows.count()
    with page.expect_download() as info:
        page.locator("a.download", has_text="CSV").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert download.suggested_filename == "results.csv"
    assert lines[0].split(",")[:2] == ["indicator", "unit"]
    assert len(lines) >= 6
    watch.assert_clean()


def test_parse_error_is_shown_next_to_the_query(browser_page):
    page, watch = browser_page
    page.goto("/query?query=SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20%3Fp%20%7D")
    page.wait_for_selector(".query-message.error#query-problem")  # shown again by the script
    problem = page.locator("#query-problem")
    assert problem.is_visible() and "could not run" in problem.inner_text()
    watch.console_errors = [e for e in watch.console_errors if "400" not in e]
    watch.assert_clean()


def test_charts_render(browser_page):
    page, watch = browser_page
    page.goto("/charts")
    chart = page.locator("svg#chart-rates")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    bars = page.locator("svg#chart-rates rect.bar")
    assert bars.count() >= 10
    assert all(bars.nth(i).bounding_box()["width"] > 0 for i in range(bars.count()))
    assert page.locator("svg#chart-changes rect.bar").count() >= 4
    assert page.locator("svg#chart-grades circle.marker").count() == 3
    watch.assert_clean()


def test_reading_pages_work_without_javascript(no_js_page):
    page, watch = no_js_page
    page.goto("/doc/force/leicestershire")
    assert page.locator("h1").inner_text() == "Leicestershire Police"
    assert page.locator("svg.graph").is_visible()
    page.goto("/report#paragraph-21")
    assert page.locator("#paragraph-21 mark.quote").count() >= 1
    page.goto("/query?example=example-judgments")
    assert page.locator("textarea#query").is_visible()  # the plain editor, not CodeMirror
    assert page.locator("table.results tbody tr").count() >= 3
    watch.assert_clean()


def test_keyboard_reaches_the_content(browser_page):
    page, watch = browser_page
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    watch.assert_clean()

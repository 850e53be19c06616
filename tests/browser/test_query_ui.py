"""The query page with JavaScript, in a real headless Chromium: YASQE completes the dataset's
own terms, YASR shows an example's table in projection order (sortable, paged) and a chart,
the snippets and the permalink follow the query, and bad input (an empty query, a 1 MB query,
a syntax error on line 40, a prefix nobody declared) gets a clear message in the page. Every
test ends with no console error and no request outside 127.0.0.1."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

CRIME_RATES_COLUMNS = ["indicator", "unit", "leicestershire", "englandWales", "difference"]


def _editor_ready(page) -> None:
    page.wait_for_selector(".yasqe .CodeMirror")
    page.wait_for_function("() => !!document.querySelector('#snippet-curl').textContent")


def _set_query(page, text: str) -> None:
    page.evaluate(
        "(text) => document.querySelector('.yasqe .CodeMirror').CodeMirror.setValue(text)", text
    )


def _headers(page) -> list[str]:
    page.wait_for_selector(".yasr table.dataTable thead th")
    cells = page.locator(".yasr table.dataTable thead th").all_inner_texts()
    return [c.strip() for c in cells if c.strip()]


def _without_expected_400(watch) -> None:
    # The browser logs every 4xx answer to fetch() as a console error; that is the point here.
    watch.console_errors = [e for e in watch.console_errors if "400" not in e]


def test_typing_a_project_prefix_offers_its_terms(browser_page):
    page, watch = browser_page
    page.goto("/query")
    _editor_ready(page)
    page.locator(".yasqe .CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("# ?x a hmic:")
    page.keyboard.press("Enter")
    page.keyboard.type("?x a hmic:Ju")
    hints = page.locator(".CodeMirror-hints li")
    hints.first.wait_for()
    offered = hints.all_inner_texts()
    assert any(h.startswith("hmic:Judgment") and "(class)" in h for h in offered), offered
    page.keyboard.press("Enter")
    assert "?x a hmic:Judgment" in page.evaluate(
        "() => document.querySelector('.yasqe .CodeMirror').CodeMirror.getValue()"
    )
    watch.assert_clean()


def test_a_prefix_nobody_declared_is_named_instead_of_completed(browser_page):
    page, watch = browser_page
    page.goto("/query")
    _editor_ready(page)
    page.locator(".yasqe .CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n?x a hmicx:")
    note = page.locator("#query-messages .completion")
    note.wait_for()
    assert "No completion for hmicx:" in note.inner_text()
    assert "hmic:" in note.inner_text()  # the known prefixes are listed
    watch.assert_clean()


def test_an_example_runs_and_shows_a_table_in_projection_order(browser_page):
    page, watch = browser_page
    page.goto("/query")
    page.get_by_role("link", name="Crime rates against England and Wales").click()
    page.wait_for_url(re.compile(r"example=example-crime-rates"))
    assert _headers(page) == CRIME_RATES_COLUMNS
    rows = page.locator(".yasr table.dataTable tbody tr")
    assert rows.count() == 6
    assert "Showing 1 to 6 of 6 entries" in page.locator(".yasr").inner_text()  # paged
    first_before = rows.first.inner_text()
    page.locator(".yasr table.dataTable thead th", has_text="difference").click()  # sortable
    page.wait_for_function(
        "(before) => document.querySelector('.yasr table.dataTable tbody tr').innerText !== before",
        arg=first_before,
    )
    page.get_by_role("button", name="Run query").click()  # runs again from the editor
    page.wait_for_url(re.compile(r"/query\?query="))
    assert "difference" in parse_qs(urlsplit(page.url).query)["query"][0]  # the permalink
    assert _headers(page) == CRIME_RATES_COLUMNS
    watch.assert_clean()


def test_select_star_keeps_the_order_of_the_query(browser_page):
    page, watch = browser_page
    page.goto("/query")
    _editor_ready(page)
    _set_query(page, "SELECT * WHERE { ?subject ?predicate ?object } LIMIT 3")
    page.get_by_role("button", name="Run query").click()
    assert _headers(page) == ["subject", "predicate", "object"]
    watch.assert_clean()


def test_a_numeric_result_draws_a_chart_with_a_text_alternative(browser_page):
    page, watch = browser_page
    page.goto("/query?example=example-crime-rates")
    _headers(page)
    page.locator(".yasr .select_chart").click()
    chart = page.locator("svg.query-chart-svg")
    chart.wait_for()
    assert page.locator("svg.query-chart-svg rect.bar").count() == 6
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    title = chart.locator("title").text_content()
    assert title == "Bar chart of ?leicestershire by ?indicator"
    assert "the highest is crime rate" in chart.locator("desc").text_content()
    page.get_by_label("Value to chart").select_option("difference")
    assert page.locator("svg.query-chart-svg rect.bar.negative").count() >= 1
    watch.assert_clean()


def test_snippets_run_the_current_query(browser_page):
    page, watch = browser_page
    page.goto("/query?example=example-judgments")
    _headers(page)
    python = page.locator("#snippet-python").inner_text()
    assert "SPARQLWrapper(" in python and "/sparql" in python and "hmic:judgedForce" in python
    assert "--data-urlencode query@-" in page.locator("#snippet-curl").inner_text()
    assert "library(httr)" in page.locator("#snippet-r").inner_text()
    _set_query(page, "ASK { ?s ?p ?o }")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_function(
        "() => document.querySelector('#snippet-curl').textContent.includes('ASK { ?s ?p ?o }')"
    )
    watch.assert_clean()


def test_an_empty_query_is_refused_in_the_page(browser_page):
    page, watch = browser_page
    page.goto("/query")
    _editor_ready(page)
    _set_query(page, "PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>\n# nothing yet\n")
    page.get_by_role("button", name="Run query").click()
    alert = page.get_by_role("alert")
    assert "The query is empty" in alert.inner_text()
    watch.assert_clean()


def test_a_one_megabyte_query_is_refused_in_the_page(browser_page):
    page, watch = browser_page
    page.goto("/query")
    _editor_ready(page)
    big = "SELECT * WHERE { ?s ?p ?o }\n" + ("# padding padding padding padding\n" * 30_000)
    assert len(big) > 1_000_000
    page.evaluate(
        "(text) => { const cm = document.querySelector('.yasqe .CodeMirror').CodeMirror;"
        " cm.replaceRange(text, {line: cm.lastLine() + 1, ch: 0}, null, 'paste'); }",
        big,
    )
    message = page.locator("#query-messages .too-long").inner_text()
    assert "would be too long" in message and "paste" in message and "131,072" in message
    length = page.evaluate(
        "() => document.querySelector('.yasqe .CodeMirror').CodeMirror.getValue().length"
    )
    assert length < 131_072  # the editor kept the query it had, and stays usable
    page.get_by_role("button", name="Run query").click()
    assert "rows in" in page.locator("#query-messages .done").inner_text()
    watch.assert_clean()


def test_a_syntax_error_on_line_40_is_shown_at_that_line(browser_page):
    page, watch = browser_page
    page.goto("/query")
    _editor_ready(page)
    lines = ["PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>", "SELECT ?j WHERE {"]
    lines += [f"  # line {n}" for n in range(3, 40)]
    lines += ['  ?j a hmic:Judgment "stray" .', "}"]
    _set_query(page, "\n".join(lines))
    page.get_by_role("button", name="Run query").click()
    problem = page.locator("#query-problem")
    problem.wait_for()
    text = problem.inner_text()
    assert "could not run" in text
    assert "line 40:" in problem.locator("pre.problem-line").inner_text()
    line_40 = page.locator(".CodeMirror-code > div").nth(39)
    assert line_40.locator(".query-error-line").count() == 1
    assert "stray" in line_40.inner_text()
    assert not page.locator("#live-results").is_visible()  # no blank result beside it
    _without_expected_400(watch)
    watch.assert_clean()

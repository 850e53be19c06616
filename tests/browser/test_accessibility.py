"""WCAG 2.2 AA in a real headless Chromium: axe-core (npm, web/frontend/node_modules, installed
by ``make frontend``) run on every kind of page, and on the query page in each of its states
(table, chart, error), must report no violation of the WCAG 2.0–2.2 A and AA rules."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "web" / "frontend" / "node_modules" / "axe-core"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
B = "https://w3id.org/hmic-kg/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PAGES = {
    "home": "/",
    "force": "/doc/force/leicestershire",
    "judgment": "/doc/judgment/leicestershire-2014/reducing-crime",
    "passage": "/doc/report/crime-inspection-2014-leicestershire/paragraph/60",
    "initiative": "/doc/initiative/sentinel",
    "term": "/def/hmic/Judgment",
    "concept": "/def/grade/good",
    "ontology": "/def/hmic",
    "classes": "/classes",
    "class": f"/class?iri={quote(B + 'def/hmic/Judgment', safe='')}",
    "search": "/search?q=operation+tiger",
    "report": "/report",
    "charts": "/charts",
    "forces": "/forces",
    "downloads": "/download",
    "why": f"/why?s={quote(B + 'id/force/leicestershire', safe='')}&p={quote(RDF_TYPE, safe='')}"
    f"&o={quote('<http://xmlns.com/foaf/0.1/Agent>', safe='')}",
    "error": "/doc/no-such-thing",
    "query": "/query",
    "query-no-js-results": "/query?example=example-judgments",
}


def _axe_source() -> str:
    path = AXE / "axe.min.js"
    if not path.is_file():
        pytest.fail(f"axe-core is not installed at {path}: run `make frontend`", pytrace=False)
    return path.read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it is now, one line each."""
    page.evaluate(_axe_source())  # evaluated through the driver, so the page's CSP holds
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_page_kind_has_no_wcag_violation(browser_page, path):
    page, watch = browser_page
    response = page.goto(path)
    assert response is not None and response.status in (200, 404), path
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    if response.status == 404:
        watch.console_errors = [e for e in watch.console_errors if "404" not in e]
    watch.assert_clean()


def test_the_query_page_without_its_scripts_has_no_wcag_violation(browser_page):
    page, watch = browser_page
    # The page's own scripts are refused (axe itself needs JavaScript on): the server's form.
    page.route(lambda url: urlsplit(url).path.endswith(".js"), lambda route: route.abort())
    page.goto("/query?example=example-crime-rates")
    assert page.locator("textarea#query").is_visible()
    assert page.locator("table.results tbody tr").count() >= 5
    assert violations(page) == []
    watch.console_errors = [e for e in watch.console_errors if "net::ERR_FAILED" not in e]
    watch.assert_clean()


def test_the_query_results_chart_and_errors_have_no_wcag_violation(browser_page):
    page, watch = browser_page
    page.goto("/query?example=example-crime-rates")
    page.wait_for_selector(".yasr table.dataTable tbody tr")
    assert violations(page) == []
    page.locator(".yasr .select_chart").click()
    page.wait_for_selector("svg.query-chart-svg")
    assert violations(page) == []
    page.evaluate(
        "() => document.querySelector('.yasqe .CodeMirror').CodeMirror"
        ".setValue('SELECT ?s WHERE {\\n  ?s ?p\\n}')"
    )
    page.get_by_role("button", name="Run query").click()
    page.wait_for_selector("#query-problem")
    assert violations(page) == []
    watch.console_errors = [e for e in watch.console_errors if "400" not in e]
    watch.assert_clean()


def test_the_editor_shows_where_the_keyboard_focus_is(browser_page):
    page, watch = browser_page
    page.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.locator("#site-search").focus()
    for _ in range(10):  # Tab from the header's search box to the editor
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('.yasqe')"):
            break
    assert page.evaluate("() => !!document.activeElement.closest('.yasqe')")
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('.yasqe .CodeMirror')).outlineStyle"
    )
    assert outline == "solid"
    watch.assert_clean()

"""The query page's side of the /sparql contract another branch implements (issue 8, items 3
and 7): a term of the project's namespaces the dataset does not have is named in the page with
the closest existing term (from the ``X-Unknown-Terms`` response header), a selected variable
nothing binds is named (``X-Unbound-Variables``), and a parse error's position in the JSON
error body points at the user's own line. These tests fail until the endpoint sends those
headers and fields (they pass with the endpoint of the usability branch)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _run(page, text: str) -> None:
    page.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        "(text) => document.querySelector('.yasqe .CodeMirror').CodeMirror.setValue(text)", text
    )
    page.get_by_role("button", name="Run query").click()


def test_a_misspelt_class_is_named_with_the_closest_term(browser_page):
    page, watch = browser_page
    _run(
        page,
        "PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>\n"
        "SELECT ?j WHERE { ?j a hmic:Judgement }",
    )
    note = page.locator("#query-messages .unknown-terms")
    note.wait_for(timeout=10_000)
    text = note.inner_text()
    assert "hmic:Judgement" in text and "is not in the dataset" in text
    assert "closest existing term is hmic:Judgment" in text
    assert (
        note.get_by_role("link", name="hmic:Judgment")
        .get_attribute("href")
        .endswith("/def/hmic/Judgment")
    )
    watch.assert_clean()


def test_an_undeclared_prefix_is_shown_at_its_line_without_a_token_list(browser_page):
    page, watch = browser_page
    _run(page, "SELECT ?x\nWHERE {\n  ?x a nosuchprefix:Thing .\n}")
    problem = page.locator("#query-problem")
    problem.wait_for()
    text = problem.inner_text()
    assert "nosuchprefix" in text
    assert "expected one of" not in text
    assert "line 3:" in problem.locator("pre.problem-line").inner_text()
    watch.console_errors = [e for e in watch.console_errors if "400" not in e]
    watch.assert_clean()


def test_a_selected_variable_nothing_binds_is_named(browser_page):
    page, watch = browser_page
    _run(
        page,
        "PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>\n"
        "SELECT ?judgment ?grade WHERE { ?judgment a hmic:Judgment }",
    )
    note = page.locator("#query-messages .unbound")
    note.wait_for(timeout=10_000)
    assert "?grade" in note.inner_text() and "never binds" in note.inner_text()
    assert "?judgment" not in note.inner_text()
    watch.assert_clean()

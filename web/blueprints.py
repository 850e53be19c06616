"""The list of feature blueprints the app registers, in one place."""

from __future__ import annotations

from flask import Blueprint


def all_blueprints() -> list[Blueprint]:
    """Every blueprint of the app (imported lazily so a feature's import cost stays its own)."""
    from web.endpoint import sparql
    from web.pages import forces, joining
    from web.pages.browser import browser_blueprints

    blueprints: list[Blueprint] = [*browser_blueprints(), forces.bp, joining.bp, sparql.bp]
    return blueprints

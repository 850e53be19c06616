"""The linked-data browser's blueprints, in registration order (the site chrome first)."""

from __future__ import annotations

from flask import Blueprint


def browser_blueprints() -> list[Blueprint]:
    """Every blueprint of the browser (imported here so the app pays for them only once)."""
    from web.http import site
    from web.pages import (
        charts,
        classes,
        downloads,
        home,
        linked_data,
        query_editor,
        reader,
        search,
        vocab,
        why,
    )

    return [
        site.bp,
        home.bp,
        linked_data.bp,
        vocab.bp,
        why.bp,
        reader.bp,
        classes.bp,
        search.bp,
        query_editor.bp,
        charts.bp,
        downloads.bp,
    ]

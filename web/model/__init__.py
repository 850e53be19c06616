"""Page models: turn query rows into what the templates show (descriptions, derivations,
terms, SVG charts) and map IRIs to local links. No Flask views here."""

"""Data access for the pages: the named queries (``web/queries/*.rq``) and running them on
the app's store with bound values."""

"""The SPARQL 1.1 Protocol for the query operation, independent of Flask and of the backend.

:mod:`kg.sparql.lexer` reads a query's shape in one linear pass (no parser runs before the
limits are checked); :mod:`kg.sparql.guards` refuses updates, remote ``SERVICE`` targets
and oversized queries; :mod:`kg.sparql.protocol` turns an HTTP request into a query and its
dataset; :mod:`kg.sparql.negotiation` picks the result format; :mod:`kg.sparql.results`
finishes a serialised result (``SELECT *`` order, ASK tables) or refuses one over the limit;
and :mod:`kg.sparql.description` writes the SPARQL 1.1 Service Description. The embedded engine
runs in a process of its own per server process, :mod:`kg.sparql.pool` (its side:
:mod:`kg.sparql.worker`).
"""

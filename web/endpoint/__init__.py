"""The SPARQL 1.1 endpoint at ``/sparql``."""

"""hmic-kg: HMIC's Crime inspection 2014 (Leicestershire Police) as a linked-data knowledge graph.

The pipeline is visible in the package layout:
``kg.report`` (parse the source text) → ``kg.pipeline`` (encode, reason, validate, write the
dataset) → ``kg.store`` (query the dataset, embedded or remote) → ``web`` (serve it).
"""

__version__ = "0.1.0"

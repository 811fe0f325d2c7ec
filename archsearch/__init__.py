"""archsearch: genetic algorithms that design neural networks.

The public API. Each name is imported when first used (PEP 562), so `import archsearch` stays light:
Dask workers and the command line import the package without TensorFlow.

    from archsearch import SearchConfig, search

    report = search(SearchConfig(population=8, generations=5, seed=0), "results/runs/mine")
    print(report.best[0].genome.describe(), report.final.test_mse)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# public name: the module that defines it
_PUBLIC = {
    "search": "archsearch.autoencoder.task",
    "export": "archsearch.autoencoder.export",
    "transfer_search": "archsearch.transfer.task",
    "compare": "archsearch.comparison.compare",
    "latent_report": "archsearch.latent.report",
    "SearchConfig": "archsearch.autoencoder.config",
    "TransferConfig": "archsearch.transfer.config",
    "load_space": "archsearch.autoencoder.space_file",
    "load_dataset": "archsearch.core.data",
    "ArchsearchError": "archsearch.core.errors",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'archsearch' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

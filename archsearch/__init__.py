"""archsearch: genetic algorithms that design neural networks.

The public API. Each name is imported when first used (PEP 562), so `import archsearch` stays light:
Dask workers and the command line import the package without TensorFlow.

Your own search: a space of parameter specs and a function that builds a Keras model from them.

    from archsearch import Float, Group, Int, KerasTask, Repeated, Space, search

    space = Space({"layers": Repeated(Group(units=Int(8, 256, log=True)), 1, 4),
                   "learning_rate": Float(1e-4, 1e-2, log=True, default=1e-3)})
    task = KerasTask(space=space, build=build, loss="mse")      # build(params, input_shape) -> keras.Model
    report = search(task, "results/runs/mine", data=(x, y), strategy="ga", population=8, generations=5)
    keras.models.load_model("results/runs/mine/best/model.keras")

The built-in autoencoder search:

    from archsearch import SearchConfig, search

    report = search(SearchConfig(population=8, generations=5, seed=0), "results/runs/mine")
    print(report.best[0].genome.describe(), report.final.test_mse)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# public name: the module that defines it
_PUBLIC = {
    "search": "archsearch.tasks.search",
    "KerasTask": "archsearch.tasks.keras_task",
    "TaskSettings": "archsearch.tasks.settings",
    "load_task": "archsearch.tasks.loading",
    "Space": "archsearch.core.space.space",
    "Params": "archsearch.core.space.params",
    "Group": "archsearch.core.space.nodes",
    "Repeated": "archsearch.core.space.nodes",
    "OneOf": "archsearch.core.space.nodes",
    "When": "archsearch.core.space.nodes",
    "Int": "archsearch.core.params",
    "Float": "archsearch.core.params",
    "Choice": "archsearch.core.params",
    "export": "archsearch.tasks.export",
    "transfer_search": "archsearch.transfer.task",
    "compare": "archsearch.tasks.search",
    "latent_report": "archsearch.latent.report",
    "SearchConfig": "archsearch.autoencoder.config",
    "TransferConfig": "archsearch.transfer.config",
    "load_space": "archsearch.autoencoder.space_file",
    "load_dataset": "archsearch.core.data",
    "ArchsearchError": "archsearch.core.errors",
    # the lower-level form, for a task that trains in its own way, a strategy or an executor of your own
    "Task": "archsearch.run.task",
    "run_task": "archsearch.run.runner",
    "RunSettings": "archsearch.run.settings",
    "Dataset": "archsearch.core.data",
    "EvaluationResult": "archsearch.core.records",
    "EvaluationRecord": "archsearch.core.records",
    "Fidelity": "archsearch.core.fidelity",
    "Strategy": "archsearch.strategies.base",
    "Proposal": "archsearch.strategies.base",
    "register_strategy": "archsearch.strategies.base",
    "EvaluatorPool": "archsearch.run.evaluator_pool",
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

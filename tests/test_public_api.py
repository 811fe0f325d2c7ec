"""The names `from archsearch import ...` gives: each is the object its module defines, found only when
first used (the import-weight check for `import archsearch` is in test_layering)."""

import pytest

import archsearch


def test_every_public_name_is_the_object_its_module_defines():
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.core.space.space import Space
    from archsearch.tasks import export, keras_task, search
    from archsearch.transfer import task as transfer

    assert archsearch.search is search.search and archsearch.export is export.export
    assert archsearch.KerasTask is keras_task.KerasTask and archsearch.Space is Space
    assert archsearch.transfer_search is transfer.transfer_search and archsearch.compare is search.compare
    assert archsearch.SearchConfig is SearchConfig
    for name in archsearch.__all__:
        assert getattr(archsearch, name).__name__ == name
    assert set(archsearch.__all__) <= set(dir(archsearch))


def test_a_name_that_is_not_public_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'serach'"):
        archsearch.serach  # noqa: B018 - the lookup is the test


def test_a_task_and_a_strategy_of_ones_own_run_on_the_public_names_alone(tmp_path):
    """The lower-level form: a `Task` that scores candidates its own way (here a formula, no training) and
    a `Strategy` registered by name, run by `run_task` with the journal, resume and the winner's hand-over."""
    from contextlib import nullcontext
    from dataclasses import replace

    import numpy as np

    from archsearch import (
        Dataset,
        EvaluationResult,
        Float,
        Int,
        Proposal,
        RunSettings,
        Space,
        Strategy,
        register_strategy,
        run_task,
    )

    @register_strategy
    class Climber(Strategy):  # the best so far, nudged
        name = "test-climber"

        def ask(self):
            if not hasattr(self, "best"):
                return [Proposal(self.space.default, operator="default")] + [
                    self.fresh_sample() for _ in range(self.population_size - 1)]
            return [Proposal(self.space.mutate(self.best.genome, self.rng)[0], (self.best.index,), "climb")
                    for _ in range(self.population_size)]

        def learn(self, records):
            self.best = min([*records, *([self.best] if hasattr(self, "best") else [])],
                            key=lambda r: r.result.fitness)

    class Formula:
        def evaluate(self, genome, seed, parents=(), fidelity=None):
            return EvaluationResult("ok", (genome["width"] - 48) ** 2 / 1e3 + (np.log10(genome["rate"]) + 3) ** 2)

    class FormulaTask:
        name = "formula"
        space_ = Space({"width": Int(1, 128, default=8), "rate": Float(1e-5, 1e-1, log=True, default=1e-2)})

        def check(self, config):
            pass

        def fit(self, config, dataset):
            return replace(config, val_size=1)

        def space(self, config, space_file):
            return self.space_

        def space_document(self, config):
            return self.space_.document()

        def evaluator(self, config, splits, run_dir, score_test=False):
            return nullcontext(Formula())

        def candidate_key(self, config):
            return lambda genome: genome.key

        def finish(self, config, run_dir, records, dataset, splits, log):
            return min(records, key=lambda r: r.result.fitness)

    data = Dataset(np.zeros((4, 1), "float32"), np.zeros((1, 1), "float32"))
    settings = RunSettings(strategy="test-climber", population=4, generations=5, isolate=False)
    best = run_task(FormulaTask(), settings, tmp_path / "run", dataset=data)
    assert isinstance(best, archsearch.EvaluationRecord) and best.result.fitness < 0.3  # the default's is 2.0
    assert (tmp_path / "run" / "journal.jsonl").is_file() and (tmp_path / "run" / "space.json").is_file()
    again = run_task(FormulaTask(), settings, tmp_path / "run", resume=True, dataset=data)
    assert again.genome == best.genome  # resumed from the journal: nothing new to evaluate

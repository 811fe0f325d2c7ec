"""One contract for every strategy on the space of every built-in task (the autoencoder, transfer
learning, the classifier, the examples), with fidelities and without: the same seed gives the same
history, a run interrupted anywhere resumes to it, and the search learns. Toy fitnesses stand in for
training (milliseconds an evaluation), so the engine and the strategies are what is tested."""

from pathlib import Path

import numpy as np
import pytest
from conftest import Interrupt, InterruptAfter, SpaceToy, ToyFidelityEvaluator

import archsearch
from archsearch.autoencoder.space_file import load_space
from archsearch.core.rungs import Rungs
from archsearch.run.engine import AsyncEngine
from archsearch.run.journal import Journal
from archsearch.strategies import STRATEGIES, make_strategy
from archsearch.transfer.space import load_transfer_space

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def task_spaces():
    from archsearch.classifier.task import space as classifier

    return {"autoencoder": load_space("conv_autoencoder"), "transfer": load_transfer_space("transfer_learning", 5),
            "classifier": classifier,
            **{p.stem: archsearch.load_task(str(p)).space for p in sorted(EXAMPLES.glob("*.py"))}}


SPACES = task_spaces()


FIDELITIES = {"one rung": None, "asha": Rungs(1, 9, 3)}


def run(space, strategy, seed, rungs, tmp_path=None, evaluator=None, replay=(), candidates=12, journal=True):
    """`journal=False` keeps no record (an fsync per evaluation): for runs that are only scored."""
    evaluator = evaluator or (SpaceToy(space) if rungs is None else ToyFidelityEvaluator(SpaceToy(space)))
    checkpoints = record = None
    if tmp_path is not None:
        (tmp_path / "checkpoints").mkdir(parents=True, exist_ok=True)
        checkpoints = tmp_path / "checkpoints"
        record = Journal(tmp_path / "journal.jsonl") if journal else None
    population = max(STRATEGIES[strategy].min_population, 4)
    engine = AsyncEngine(make_strategy(strategy, space, np.random.default_rng(seed), population=population),
                         evaluator, seed, rungs, checkpoints if rungs is not None else None, record)
    return engine.run(candidates, list(replay))


def history(records):
    return [(r.index, r.genome.key, r.parents, r.operator, r.rung, r.budget, r.result.fitness) for r in records]


@pytest.mark.parametrize("fidelity", sorted(FIDELITIES))
@pytest.mark.parametrize("task", sorted(SPACES))
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_same_seed_same_history_and_an_interrupted_run_resumes_to_it(strategy, task, fidelity, tmp_path):
    """(The resumed run starts a new strategy from the same seed and replays the record: it ends equal to
    the straight run only if the same seed gives the same history.)"""
    space, rungs = SPACES[task], FIDELITIES[fidelity]
    straight = history(run(space, strategy, 3, rungs, tmp_path / "a"))
    assert straight != history(run(space, strategy, 4, rungs, tmp_path / "c", journal=False))
    assert all(space.problems(r.genome) == [] for r in Journal(tmp_path / "a" / "journal.jsonl").read())
    stop = len(straight) // 2
    toy = SpaceToy(space) if rungs is None else ToyFidelityEvaluator(SpaceToy(space))
    with pytest.raises(Interrupt):
        run(space, strategy, 3, rungs, tmp_path / "d", InterruptAfter(toy, stop))
    journal = Journal(tmp_path / "d" / "journal.jsonl")
    assert history(run(space, strategy, 3, rungs, tmp_path / "d", replay=journal.events())) == straight


def median_best(space, strategy, rungs, directory, seeds=5, candidates=60):
    return float(np.median([min(r.result.fitness for r in run(space, strategy, seed, rungs, directory / f"{seed}",
                                                                  candidates=candidates, journal=False) if r.result.ok)
                            for seed in range(seeds)]))


@pytest.mark.slow
@pytest.mark.parametrize("fidelity", sorted(FIDELITIES))
@pytest.mark.parametrize("task", sorted(set(SPACES) - {"autoencoder"}))  # its own: tests/strategies (0.5x random)
def test_every_strategy_learns_and_never_ends_worse_than_its_first_candidate(task, fidelity, tmp_path):
    space, rungs = SPACES[task], FIDELITIES[fidelity]
    random = median_best(space, "random", rungs, tmp_path / "random")
    for strategy in sorted(set(STRATEGIES) - {"random"}):
        assert median_best(space, strategy, rungs, tmp_path / strategy) < random, strategy
    for strategy in sorted(STRATEGIES):
        records = run(space, strategy, 0, rungs, tmp_path / f"first-{strategy}", candidates=30, journal=False)
        top = max(r.rung for r in records)
        best = min(r.result.fitness for r in records if r.rung == top and r.result.ok)  # the winner, top rung first
        first = [r for r in records if r.genome == records[0].genome]
        assert max(r.rung for r in first) == top  # the first candidate (the defaults) climbed to the top rung
        assert best <= min(r.result.fitness for r in first if r.rung == top), strategy

"""Simulated time (`run.simulated.SimulatedPool`): evaluations that cost microseconds scheduled as if each
took the seconds it reports, so the engine's workers, rungs and time box behave as on real training and
a time-boxed run has the same history for the same seed on any machine."""

import dataclasses

from conftest import ToyFidelityEvaluator
from test_engine import engine, history

from archsearch.core.records import OK, EvaluationResult
from archsearch.core.rungs import Rungs
from archsearch.run.journal import Issued, Journal
from archsearch.run.simulated import SimulatedPool


class SimulatedToy(ToyFidelityEvaluator):
    """The toy fitness, reporting 0.1 simulated seconds per image trained (it trains nothing)."""

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        seconds = 0.1 * (fidelity.budget - fidelity.start)
        return dataclasses.replace(super().evaluate(genome, seed, parents, fidelity), train_seconds=seconds,
                                   seconds=seconds)


class Costs:
    """Each job's result says it took the seconds it was given."""

    def evaluate(self, seconds, seed, parents=(), fidelity=None):
        return EvaluationResult(OK, fitness=seconds, seconds=seconds)


def test_results_come_back_in_the_order_workers_would_finish_them_and_the_clock_follows():
    pool = SimulatedPool(Costs(), workers=3)
    running = {pool.submit(seconds, 0): seconds for seconds in (3.0, 1.0, 2.0)}
    finished = []
    while running:
        (done,) = pool.wait_first(running)
        finished.append((running.pop(done), pool.clock.now()))
        if len(finished) == 1:
            running[pool.submit(0.5, 0)] = 0.5  # started at 1.0 on the freed worker: done at 1.5
    assert finished == [(1.0, 1.0), (0.5, 1.5), (2.0, 2.0), (3.0, 3.0)]
    assert pool.clock.stamp() == 3.0


def test_a_simulated_time_box_is_kept_by_simulated_seconds_and_repeats_exactly(conv_space, toy_evaluator, tmp_path):
    def run(path):
        pool = SimulatedPool(SimulatedToy(toy_evaluator), workers=2)
        searched = engine(conv_space, pool, path, rungs=Rungs(8, 72, 3))
        searched.seconds = 40.0  # a lowest-rung job takes 0.8 s, the first candidate's climb 7.2 s more
        return searched.run(candidates=10**9), Journal(path / "journal.jsonl").events()

    records, events = run(tmp_path / "a")
    issued = [e for e in events if isinstance(e, Issued)]
    by_index = {r.index: r for r in records}
    assert 40 < len(records) < 200 and len(issued) == len(records)
    assert [e.seconds for e in issued[:2]] == [0.0, 0.0]  # two workers start at once
    assert all(e.seconds + by_index[e.index].result.seconds <= 40.0 + 1e-9 for e in issued)  # all end in the box
    assert max(r.rung for r in records) == 2
    again, again_events = run(tmp_path / "b")
    assert history(again) == history(records)
    assert [(e.seconds, e.at) for e in again_events if isinstance(e, Issued)] == [(e.seconds, e.at) for e in issued]


def test_a_strategy_that_only_repeats_itself_ends_the_run_instead_of_spinning(conv_space, toy_evaluator, tmp_path):
    """Repeats cost nothing, so in simulated time a converged strategy would never reach the time box."""
    from test_engine import FixedOrder, distinct_genomes

    from archsearch.run.engine import CONVERGED_AFTER

    genomes = distinct_genomes(conv_space, 2)
    strategy = FixedOrder(conv_space, None, genomes + [genomes[0]] * 10_000)
    run = engine(conv_space, SimulatedPool(SimulatedToy(toy_evaluator)), tmp_path, strategy, rungs=Rungs(8, 72, 3))
    run.seconds = 10**6
    records = run.run(candidates=10**9)
    assert sum(r.cached_from is not None for r in records) == CONVERGED_AFTER
    assert max(r.rung for r in records) == 2  # it drained: the best went on to the top rung
    again = engine(conv_space, SimulatedPool(SimulatedToy(toy_evaluator)), tmp_path / "again",
                   FixedOrder(conv_space, None, genomes + [genomes[0]] * 10_000), rungs=Rungs(8, 72, 3))
    again.seconds = 10**6
    assert history(again.run(10**9, Journal(tmp_path / "journal.jsonl").events())) == history(records)  # resumed

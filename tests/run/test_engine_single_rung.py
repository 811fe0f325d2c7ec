"""The engine with one rung (each candidate trained once) and a toy fitness (no Keras): generations,
determinism, caching, journal and exact resume."""

import json

import numpy as np
import pytest

from archsearch.core.errors import ResumeError
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import architecture_key
from archsearch.run.engine import AsyncEngine
from archsearch.run.journal import Journal
from archsearch.strategies import make_strategy


def run(space, evaluator, seed=0, generations=6, journal=None, replay=(), strategy="ga"):
    strategy = make_strategy(strategy, space, np.random.default_rng(seed), population=6)
    return AsyncEngine(strategy, evaluator, seed, journal=journal).run(6 * (generations + 1), replay)


def history(records):
    return [(r.index, r.generation, r.genome.key, r.parents, r.operator, r.result.fitness, r.cached_from)
            for r in records]


def test_same_seed_same_history_and_another_seed_another(conv_space, toy_evaluator):
    first, second = run(conv_space, toy_evaluator), run(conv_space, toy_evaluator)
    assert history(first) == history(second)
    assert history(run(conv_space, toy_evaluator, seed=1)) != history(first)


def test_every_generation_has_the_population_and_lineage(conv_space, toy_evaluator):
    records = run(conv_space, toy_evaluator, generations=4)
    assert [r.index for r in records] == list(range(30))
    assert all(r.generation == r.index // 6 for r in records)
    assert all(r.operator in ("default", "random") and r.parents == () for r in records[:6])
    for r in records[6:]:
        assert r.parents and all(p < 6 * r.generation for p in r.parents)
        assert r.operator.split("+")[-1] in ("crossover", "add_layer", "remove_layer", "modify_layer",
                                             "modify_training")
    assert all(conv_space.problems(r.genome) == [] for r in records)


def test_identical_genomes_are_trained_once(conv_space, toy_evaluator):
    records = run(conv_space, toy_evaluator, generations=10)
    distinct = {r.genome.key for r in records}
    assert toy_evaluator.calls == len(distinct)
    for r in records:
        if r.cached_from is not None:
            assert records[r.cached_from].genome == r.genome
            assert records[r.cached_from].result == r.result


def test_ga_improves_on_its_first_generation(conv_space, toy_evaluator):
    records = run(conv_space, toy_evaluator, generations=15)
    first = min(r.result.fitness for r in records if r.generation == 0)
    assert min(r.result.fitness for r in records) < 0.5 * first


class Interrupt(Exception):
    pass


class InterruptAfter:
    """Delegates to an evaluator, then raises after `n` evaluations, as Ctrl-C would."""

    def __init__(self, inner, n):
        self.inner, self.n = inner, n

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        if self.n == 0:
            raise Interrupt
        self.n -= 1
        return self.inner.evaluate(genome, seed)


@pytest.mark.parametrize("stop_after", [0, 5, 17])
def test_resume_replays_the_journal_and_ends_like_an_uninterrupted_run(conv_space, toy_evaluator, tmp_path,
                                                                       stop_after):
    uninterrupted = run(conv_space, toy_evaluator)
    journal = Journal(tmp_path / "journal.jsonl")
    with pytest.raises(Interrupt):
        run(conv_space, InterruptAfter(toy_evaluator, stop_after), journal=journal)
    recorded = journal.read()
    assert len(recorded) >= stop_after
    toy_evaluator.calls = 0
    resumed = run(conv_space, toy_evaluator, journal=journal, replay=journal.events())
    assert history(resumed) == history(uninterrupted)
    assert toy_evaluator.calls == len({r.genome.key for r in uninterrupted}) - len({r.genome.key for r in recorded})
    assert history(journal.read()) == history(resumed)


def test_resume_refuses_a_journal_from_other_settings(conv_space, toy_evaluator, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    run(conv_space, toy_evaluator, journal=journal, generations=1)
    with pytest.raises(ResumeError, match="journal: job 1 trained genome"):  # job 0: the default, any seed
        run(conv_space, toy_evaluator, seed=99, replay=journal.events())


def test_journal_drops_a_torn_last_line_and_keeps_appending(conv_space, toy_evaluator, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    records = run(conv_space, toy_evaluator, journal=journal, generations=1)
    with journal.path.open("a") as handle:
        handle.write('{"index": 12, "generation"')  # the process died mid-write
    assert history(journal.read()) == history(records)
    journal.append(records[0])
    assert len(journal.read()) == len(records) + 1


def test_journal_refuses_damage_before_the_end(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_text("garbage\n" + json.dumps({"index": 0}) + "\n")
    with pytest.raises(ResumeError, match="line 1 is damaged"):
        Journal(path).read()


def test_records_round_trip_through_the_journal(conv_space, toy_evaluator, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    records = run(conv_space, toy_evaluator, journal=journal, generations=2)
    assert sorted(journal.read(), key=lambda r: r.index) == records
    assert EvaluationRecord.from_dict(records[7].to_dict()) == records[7]


def test_an_inner_loop_that_ignores_training_genes_trains_each_architecture_once(conv_space, toy_evaluator):
    strategy = make_strategy("ga", conv_space, np.random.default_rng(0), population=6)
    records = AsyncEngine(strategy, toy_evaluator, 0, candidate_key=architecture_key).run(6 * 9)
    architectures = {r.genome.architecture_key for r in records}
    assert toy_evaluator.calls == len(architectures) < len({r.genome.key for r in records})
    for r in records:
        if r.cached_from is not None:
            first = records[r.cached_from]
            assert first.genome.architecture_key == r.genome.architecture_key and first.result == r.result

"""The asynchronous multi-fidelity engine with toy fitnesses (no Keras): ASHA promotion arithmetic,
continuation from checkpoints, repeats, determinism, and exact resume in the middle of a rung."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import Interrupt, InterruptAfter, TimedToy, ToyFidelityEvaluator

from archsearch.core.errors import ResumeError
from archsearch.core.rungs import Ladder, Rungs
from archsearch.run.engine import AsyncEngine, checkpoint_path
from archsearch.run.journal import Issued, Journal
from archsearch.strategies import STRATEGIES, make_strategy
from archsearch.strategies.base import DEFAULT_GENES, Proposal, Strategy


class FixedOrder(Strategy):
    """Proposes the given genomes in order, three at a time (a stand-in whose choices are known)."""

    name = "fixed-order"

    def __init__(self, space, rng, genomes):
        super().__init__(space, rng, population=3)
        self.queue = list(genomes)
        self.told = []

    def ask(self):
        batch, self.queue = self.queue[:3], self.queue[3:]
        return [Proposal(g) for g in batch]

    def learn(self, records):
        self.told.append([r.index for r in records])


class DefaultFirst(FixedOrder):
    """Its first genome is proposed as the space's default genes (which climb straight to the top rung)."""

    default_given = False

    def ask(self):
        batch = super().ask()
        if batch and not self.default_given:
            self.default_given = True
            batch[0] = Proposal(batch[0].genome, (), DEFAULT_GENES)
        return batch


class SlowToy(TimedToy):
    """20 ms per image: wide margins around a time box, so a busy machine decides the same."""

    per_image = 0.02


def distinct_genomes(space, count, seed=0):
    rng, genomes = np.random.default_rng(seed), {}
    while len(genomes) < count:
        genome = space.sample(rng)
        genomes.setdefault(genome.key, genome)
    return list(genomes.values())


def engine(space, evaluator, tmp_path, strategy="ga", seed=0, rungs=Rungs(1, 9, 3), journal=True, population=6):
    if isinstance(strategy, str):
        strategy = make_strategy(strategy, space, np.random.default_rng(seed), population=population)
    (tmp_path / "checkpoints").mkdir(parents=True, exist_ok=True)
    return AsyncEngine(strategy, evaluator, seed, rungs, tmp_path / "checkpoints",
                       Journal(tmp_path / "journal.jsonl") if journal else None)


def history(records):
    return [(r.index, r.generation, r.genome.key, r.rung, r.budget, r.continued_from, r.cached_from, r.result.fitness)
            for r in records]


def test_rung_budgets_count_down_from_the_top_by_eta():
    assert Rungs(1, 9, 3).budgets == (1, 3, 9)
    assert Rungs(2000, 81000, 3).budgets == (3000, 9000, 27000, 81000)
    assert Rungs(100, 1000, 3, multiple=128).budgets == (128, 384, 1024)
    assert Rungs(500, 500).budgets == (500,)
    with pytest.raises(ValueError):
        Rungs(10, 5)


def test_ladder_promotes_the_top_third_as_soon_as_it_qualifies():
    ladder = Ladder(Rungs(1, 9, 3))
    for candidate, fitness in enumerate([5.0, 3.0]):
        ladder.add(candidate, 0, fitness)
    assert ladder.promotion() is None  # 2 results: floor(2 / 3) = 0 may move up
    ladder.add(2, 0, 8.0)
    assert ladder.promotion() == (1, 0)
    ladder.mark_promoted(1, 0)
    assert ladder.promotion() is None
    ladder.add(3, 0, float("inf"))  # a failure counts in n but never moves up
    ladder.add(4, 0, 9.0)
    ladder.add(5, 0, 9.5)
    assert ladder.promotion() == (0, 0)  # top 2 of 6: candidates 1 (promoted) and 0
    ladder.mark_promoted(0, 0)
    ladder.add(6, 0, 1.0)
    assert ladder.promotion() is None  # 6 is best of 7, but floor(7 / 3) = 2 have moved up already
    ladder.add(7, 0, 9.9)
    ladder.add(8, 0, 9.8)
    assert ladder.promotion() == (6, 0)  # 9 results: a third place opens
    ladder.mark_promoted(6, 0)
    assert ladder.promotion() is None


def test_a_favoured_candidate_climbs_whatever_its_rank_and_first():
    ladder = Ladder(Rungs(1, 9, 3))
    ladder.favour(0)
    for candidate, fitness in enumerate([7.0, 3.0, 5.0]):
        ladder.add(candidate, 0, fitness)
    assert ladder.promotion() == (0, 0)  # the worst of three, but favoured: before candidate 1
    ladder.mark_promoted(0, 0)
    assert ladder.promotion() == (1, 0)  # and it takes no place of the top third
    ladder.mark_promoted(1, 0)
    ladder.add(0, 1, 6.0)
    assert ladder.promotion() == (0, 1)  # alone at rung 1, on to the top
    ladder.add(3, 0, float("inf"))
    ladder.favour(3)
    ladder.mark_promoted(0, 1)
    assert ladder.promotion() is None  # a failure never moves up, favoured or not


def test_promotion_sequence_with_one_worker_is_the_known_asha_answer(conv_space, toy_evaluator, tmp_path):
    genomes = distinct_genomes(conv_space, 9)
    fitness = dict(zip((g.key for g in genomes), [5, 3, 8, 1, 7, 6, 2, 9, 4]))
    evaluator = ToyFidelityEvaluator(toy_evaluator, fitness)
    strategy = FixedOrder(conv_space, np.random.default_rng(0), genomes)
    records = engine(conv_space, evaluator, tmp_path, strategy).run(candidates=9)
    # (candidate number, rung) of each job, worked out by hand from the ASHA rule with eta 3 and the cap
    # of floor(n / 3) promotions from a rung of n results
    expected = [(0, 0), (1, 0), (2, 0), (1, 1), (3, 0), (4, 0), (5, 0), (3, 1), (6, 0), (7, 0), (8, 0),
                (6, 1), (3, 2)]
    number = {g.key: i for i, g in enumerate(genomes)}
    assert [(number[r.genome.key], r.rung) for r in records] == expected
    assert [r.candidate for r in records] == [n for n, _ in expected]
    assert [r.budget for r in records] == [(1, 3, 9)[rung] for _, rung in expected]
    # a promotion continues its candidate's latest evaluation and trains only the difference
    assert records[3].continued_from == 1 and records[7].continued_from == 4 and records[12].continued_from == 7
    assert evaluator.calls[12] == (genomes[3].key, 3, 9)
    assert strategy.told == [[0, 1, 2], [4, 5, 6], [8, 9, 10]]  # whole batches, first results only
    assert records[12].result.fitness == pytest.approx(1 + 1 / 9)


def test_a_superseded_checkpoint_is_removed_and_the_winners_kept(conv_space, toy_evaluator, tmp_path):
    run = engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path)
    records = run.run(candidates=12)
    kept = {int(p.stem) for p in (tmp_path / "checkpoints").glob("*.npz")}
    continued = {r.continued_from for r in records if r.continued_from is not None}
    assert kept == {r.index for r in records if r.result.ok} - continued
    top = [r for r in records if r.rung == 2]
    assert top and all(checkpoint_path(tmp_path / "checkpoints", r.index).is_file() for r in top)


@pytest.mark.parametrize("default, other, climbs", [(5, 3, True), (3, 5, False)])
def test_the_default_genes_climb_at_once_and_draining_moves_a_better_leader_up(conv_space, toy_evaluator, tmp_path,
                                                                               default, other, climbs):
    genomes = distinct_genomes(conv_space, 2)
    evaluator = ToyFidelityEvaluator(toy_evaluator, dict(zip((g.key for g in genomes), [default, other])))
    records = engine(conv_space, evaluator, tmp_path, DefaultFirst(conv_space, np.random.default_rng(0), genomes)
                     ).run(candidates=2)
    # one worker: the default's first result, then its climb; the other candidate waits at rung 0 and
    # moves up at the end only if it leads the default there
    expected = [(0, 0), (0, 1), (0, 2), (1, 0)] + ([(1, 1), (1, 2)] if climbs else [])  # (number, rung)
    assert [(r.candidate, r.rung) for r in records] == expected


def test_failures_are_recorded_and_never_promoted(conv_space, toy_evaluator, tmp_path):
    genomes = distinct_genomes(conv_space, 9)
    fitness = {g.key: float(i) for i, g in enumerate(genomes)}
    evaluator = ToyFidelityEvaluator(toy_evaluator, fitness, fail=[genomes[0].key, genomes[1].key])
    records = engine(conv_space, evaluator, tmp_path, FixedOrder(conv_space, np.random.default_rng(0),
                                                                 genomes)).run(candidates=9)
    failed = [r for r in records if not r.result.ok]
    assert {r.genome.key for r in failed} == {genomes[0].key, genomes[1].key}
    assert all(r.rung == 0 for r in failed)
    assert max(r.rung for r in records) == 2


def test_a_repeated_genome_carries_its_first_result_and_is_trained_once(conv_space, toy_evaluator, tmp_path):
    genomes = distinct_genomes(conv_space, 4)
    order = [genomes[0], genomes[1], genomes[0], genomes[2], genomes[3], genomes[1]]
    evaluator = ToyFidelityEvaluator(toy_evaluator)
    records = engine(conv_space, evaluator, tmp_path, FixedOrder(conv_space, np.random.default_rng(0),
                                                                 order)).run(candidates=6)
    repeats = [r for r in records if r.cached_from is not None]
    assert len(repeats) == 2
    for r in repeats:
        assert records[r.cached_from].genome == r.genome and records[r.cached_from].result == r.result
    assert len([c for c in evaluator.calls if c[1] == 0]) == 4


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_runs_under_promotion_and_improves_with_budget(conv_space, toy_evaluator, tmp_path, strategy):
    records = engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path, strategy).run(candidates=30)
    assert len([r for r in records if r.rung == 0]) == 30
    assert [r.index for r in records] == list(range(len(records)))
    top = [r for r in records if r.rung == 2]
    assert top, "the run ends with a candidate at the top rung"
    assert min(r.result.fitness for r in top) < min(r.result.fitness for r in records if r.rung == 0)
    for r in records:
        if r.continued_from is not None:
            previous = records[r.continued_from]
            assert previous.genome == r.genome and previous.rung == r.rung - 1


def test_same_seed_same_history_with_one_worker(conv_space, toy_evaluator, tmp_path):
    runs = [history(engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path / str(i)).run(candidates=24))
            for i in range(2)]
    other = history(engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path / "2", seed=1).run(24))
    assert runs[0] == runs[1] != other


@pytest.mark.parametrize("stop_after", [0, 4, 13, 25])
def test_resume_in_the_middle_of_a_rung_gives_the_same_history(conv_space, toy_evaluator, tmp_path, stop_after):
    uninterrupted = engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path / "a", journal=False).run(30)
    run_dir = tmp_path / "b"
    with pytest.raises(Interrupt):
        engine(conv_space, InterruptAfter(ToyFidelityEvaluator(toy_evaluator), stop_after), run_dir).run(30)
    journal = Journal(run_dir / "journal.jsonl")
    assert len(journal.read()) == stop_after
    evaluator = ToyFidelityEvaluator(toy_evaluator)
    resumed = engine(conv_space, evaluator, run_dir).run(30, journal.events())
    assert history(resumed) == history(uninterrupted)
    assert len(evaluator.calls) == len(uninterrupted) - stop_after  # nothing recorded is trained again
    assert history(journal.read()) == history(uninterrupted)


class ThreadedPool:
    """Two threads with random delays: results come back in an order no seed fixes."""

    workers = 2

    def __init__(self, evaluator, seed):
        self.evaluator, self.rng, self.lock = evaluator, np.random.default_rng(seed), threading.Lock()
        self.executor = ThreadPoolExecutor(2)

    def submit(self, *task):
        with self.lock:
            delay = float(self.rng.random()) * 0.004
        return self.executor.submit(lambda: (time.sleep(delay), self.evaluator.evaluate(*task))[1])


def test_resume_replays_the_journal_order_of_a_run_with_several_workers(conv_space, toy_evaluator, tmp_path):
    run_dir = tmp_path / "parallel"
    full = engine(conv_space, ThreadedPool(ToyFidelityEvaluator(toy_evaluator), 1), run_dir).run(30)
    lines = (run_dir / "journal.jsonl").read_text().splitlines(keepends=True)
    events = Journal(run_dir / "journal.jsonl").events()
    # cut the journal in the middle, after some job was issued but before its result came back
    cut = next(i for i, e in enumerate(events) if isinstance(e, Issued) and i > len(events) // 2) + 1
    copy = tmp_path / "copy"
    (copy / "checkpoints").mkdir(parents=True)
    (copy / "journal.jsonl").write_text("".join(lines[:cut]))
    kept = {e.index for e in events[:cut] if not isinstance(e, Issued)}
    # (the toy's checkpoints are not copied: superseded ones are gone by the end of the full run)
    evaluator = ToyFidelityEvaluator(toy_evaluator, check_resume=False)
    resumed = engine(conv_space, evaluator, copy).run(30, Journal(copy / "journal.jsonl").events())
    by_index = {r.index: r for r in full}
    assert all(history([r]) == history([by_index[r.index]]) for r in resumed if r.index in kept)
    assert len([r for r in resumed if r.rung == 0]) == 30


def test_a_journal_from_other_settings_is_refused(conv_space, toy_evaluator, tmp_path):
    engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path).run(6)
    events = Journal(tmp_path / "journal.jsonl").events()
    with pytest.raises(ResumeError, match="settings"):
        engine(conv_space, ToyFidelityEvaluator(toy_evaluator), tmp_path, seed=5).run(6, events)


@pytest.mark.slow  # waits on the clock: seconds
def test_an_idle_worker_at_the_end_trains_a_waiting_candidate_and_a_resume_replays_it(conv_space, toy_evaluator,
                                                                                    tmp_path):
    class TwoThreads(ThreadedPool):
        def submit(self, *task):
            return self.executor.submit(self.evaluator.evaluate, *task)

    class Paced(TimedToy):
        per_image = 0.012  # wide enough margins that a busy machine (a parallel test run) backfills too

    run_dir = tmp_path / "run"
    rungs = Rungs(8, 72, 3)  # 8 -> 24 -> 72 images: a top-rung job takes 576 ms, a first promotion 192 ms
    # each candidate worse than those before: the first climb, the last wait below the top when no new
    # candidate is left (the case to test)
    genomes = distinct_genomes(conv_space, 13)
    fitness_of = {g.key: float(i) for i, g in enumerate(genomes)}
    full = engine(conv_space, TwoThreads(Paced(toy_evaluator, fitness_of, check_resume=False), 0), run_dir,
                  strategy=FixedOrder(conv_space, None, genomes), rungs=rungs).run(13)
    events = Journal(run_dir / "journal.jsonl").events()
    backfills = [e for e in events if isinstance(e, Issued) and e.backfill]
    assert backfills, "the worker left idle by the last top-rung job took a waiting candidate"
    assert all(full[e.index].continued_from is not None for e in backfills)  # a backfill continues a candidate
    # a resume replays the backfill from the journal, though no timing decides it then
    cut = events.index(backfills[0]) + 1
    (tmp_path / "copy" / "checkpoints").mkdir(parents=True)
    (tmp_path / "copy" / "journal.jsonl").write_text(
        "".join((run_dir / "journal.jsonl").read_text().splitlines(keepends=True)[:cut]))
    resumed = engine(conv_space, ToyFidelityEvaluator(toy_evaluator, fitness_of, check_resume=False),
                     tmp_path / "copy", strategy=FixedOrder(conv_space, None, genomes), rungs=rungs)
    resumed = resumed.run(13, Journal(tmp_path / "copy" / "journal.jsonl").events())
    by_index = {r.index: r for r in resumed}
    assert by_index[backfills[0].index].genome.key == backfills[0].genome_key
    assert by_index[backfills[0].index].budget == backfills[0].budget


@pytest.mark.slow  # waits on the clock: seconds
def test_a_time_box_stops_issuing_jobs_and_a_resume_keeps_the_time_spent(conv_space, toy_evaluator, tmp_path):
    run = engine(conv_space, TimedToy(toy_evaluator), tmp_path / "run", rungs=Rungs(8, 72, 3))
    # a first-rung job takes 32 ms, the first candidate's climb to the top 288 ms: about 15 jobs fit, far
    # fewer than the candidates allowed
    run.seconds = 0.8
    records = run.run(candidates=10**9)
    issued = [e for e in Journal(tmp_path / "run" / "journal.jsonl").events() if isinstance(e, Issued)]
    assert 5 < len(records) < 40 and len(issued) == len(records)
    assert all(e.seconds < 0.8 for e in issued)  # no job starts after the time box
    # nor one expected to end after it (a promotion by its candidate's pace, a new candidate by the median)
    by_index = {r.index: r for r in records}
    assert all(e.seconds + by_index[e.index].result.seconds < 0.8 + 0.05 for e in issued)
    assert [e.seconds for e in issued] == sorted(e.seconds for e in issued)
    events = Journal(tmp_path / "run" / "journal.jsonl").events()
    again = engine(conv_space, TimedToy(toy_evaluator), tmp_path / "run", rungs=Rungs(8, 72, 3))
    again.seconds = 0.8
    assert history(again.run(10**9, events)) == history(records)  # the time was spent: nothing more runs
    longer = engine(conv_space, TimedToy(toy_evaluator), tmp_path / "run", rungs=Rungs(8, 72, 3))
    longer.seconds = 1.6
    more = longer.run(10**9, Journal(tmp_path / "run" / "journal.jsonl").events())
    assert history(more[: len(records)]) == history(records) and len(more) > len(records)


def test_a_promotion_that_would_end_after_the_time_box_is_passed_over(conv_space, toy_evaluator, tmp_path):
    run = engine(conv_space, SlowToy(toy_evaluator), tmp_path / "run", rungs=Rungs(8, 72, 3))
    # the first candidate qualifies for the top rung at about 0.48 s; training there takes 0.96 s
    run.seconds = 1.25
    records = run.run(candidates=10**9)
    events = Journal(tmp_path / "run" / "journal.jsonl").events()
    issued = [e for e in events if isinstance(e, Issued)]
    assert [(r.candidate, r.rung) for r in records[:2]] == [(0, 0), (0, 1)]
    assert max(r.rung for r in records) == 1 and len(records) >= 3
    assert issued[2].passed_over and records[2].rung == 0  # a new candidate instead
    again = engine(conv_space, SlowToy(toy_evaluator), tmp_path / "run", rungs=Rungs(8, 72, 3))
    again.seconds = 1.25
    assert history(again.run(10**9, events)) == history(records)  # the decision is replayed from the journal


@pytest.mark.slow  # waits on the clock: seconds
def test_a_final_climb_that_would_end_after_the_time_box_is_not_started(conv_space, toy_evaluator, tmp_path):
    genomes = distinct_genomes(conv_space, 2)
    evaluator = SlowToy(toy_evaluator, dict(zip((g.key for g in genomes), [5, 3])))
    run = engine(conv_space, evaluator, tmp_path, DefaultFirst(conv_space, np.random.default_rng(0), genomes),
                 rungs=Rungs(8, 72, 3))
    # the default's climb ends at about 1.44 s, the better candidate's first two rungs at about 1.92 s;
    # its last rung (0.96 s more) would end after a 2.5 s box
    run.seconds = 2.5
    records = run.run(candidates=2)
    assert [(r.candidate, r.rung) for r in records] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]


@pytest.mark.slow  # waits on the clock: seconds
def test_a_climb_too_long_for_the_time_left_does_not_hold_back_shorter_promotions(conv_space, toy_evaluator,
                                                                                  tmp_path):
    genomes = distinct_genomes(conv_space, 8)
    evaluator = SlowToy(toy_evaluator, dict(zip((g.key for g in genomes), [5, 3, 4, 6, 7, 8, 9, 10])))
    run = engine(conv_space, evaluator, tmp_path, DefaultFirst(conv_space, np.random.default_rng(0), genomes),
                 rungs=Rungs(8, 72, 3))
    # the default genes reach rung 1 at about 0.48 s; their climb to the top (0.96 s more) would end after
    # a 1.4 s box, but the best other candidate's first promotion (0.32 s), due at about 0.96 s, fits
    run.seconds = 1.4
    records = run.run(candidates=8)
    assert max(r.rung for r in records if r.candidate == 0) == 1  # the long climb was passed over ...
    assert [(r.candidate, r.rung) for r in records if r.candidate != 0 and r.rung == 1] == [(1, 1)]  # ... not this


@pytest.mark.slow
def test_a_resume_decides_what_fits_the_time_box_by_the_journalled_time_not_its_own(conv_space, toy_evaluator,
                                                                                   tmp_path):
    genomes = distinct_genomes(conv_space, 8)
    fitnesses = dict(zip((g.key for g in genomes), [5, 3, 4, 6, 7, 8, 9, 10]))

    def box(path):
        run = engine(conv_space, SlowToy(toy_evaluator, fitnesses), path,
                     DefaultFirst(conv_space, np.random.default_rng(0), genomes), rungs=Rungs(8, 72, 3))
        run.seconds = 1.4
        return run

    records = box(tmp_path).run(candidates=8)
    assert (1, 1) in [(r.candidate, r.rung) for r in records]  # a promotion that fitted with little time to spare
    resumed = box(tmp_path)
    time.sleep(0.5)  # a resume that starts slowly (loading data, say) must not find that it no longer fits
    assert history(resumed.run(8, Journal(tmp_path / "journal.jsonl").events())) == history(records)


def test_optuna_hyperband_decides_promotions_with_optunas_pruner(conv_space, toy_evaluator, tmp_path):
    def run(path):
        strategy = make_strategy("optuna-hyperband", conv_space, np.random.default_rng(0), population=6)
        return strategy, engine(conv_space, ToyFidelityEvaluator(toy_evaluator), path, strategy).run(30)

    strategy, records = run(tmp_path / "a")
    assert type(engine(conv_space, toy_evaluator, tmp_path / "c", strategy).ladder).__name__ == "PrunerLadder"
    states = [t.state.name for t in strategy.study.trials]
    assert states.count("COMPLETE") == len([r for r in records if r.rung == 2])
    assert "PRUNED" in states and states.count("COMPLETE") >= 1
    first = records[0]  # the first trial is alone at every rung, so Optuna's pruner lets it go on
    assert [r.rung for r in records if r.candidate == first.candidate] == [0, 1, 2]
    reported = [t.intermediate_values for t in strategy.study.trials if t.state.name == "COMPLETE"]
    assert all(set(values) == {1, 3, 9} for values in reported)  # steps eta**rung: Optuna's rungs are ours
    assert history(run(tmp_path / "b")[1]) == history(records)

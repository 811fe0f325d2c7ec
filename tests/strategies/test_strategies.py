"""One contract suite for every registered strategy, on the cheap toy fitness (no Keras)."""

import json

import numpy as np
import pytest
from conftest import PlantedFailures

from archsearch.core.records import FAILED, INVALID, OK, EvaluationRecord
from archsearch.run.candidates import candidate_seed
from archsearch.run.engine import AsyncEngine
from archsearch.strategies import STRATEGIES, Proposal, make_strategy

NAMES = sorted(STRATEGIES)


def drive(strategy, evaluator, generations, first_index=0):
    """Asks and tells by hand, returning every proposal; indices continue from `first_index`."""
    proposals, index = [], first_index
    for generation in range(generations):
        batch = strategy.ask()
        records = []
        for proposal in batch:
            result = evaluator.evaluate(proposal.genome, candidate_seed(0, proposal.genome))
            records.append(EvaluationRecord(index, generation, proposal.genome, result, proposal.parents,
                                            proposal.operator))
            index += 1
        strategy.tell(records)
        proposals += batch
    return proposals, index


@pytest.mark.parametrize("name", NAMES)
def test_asks_batches_of_valid_proposals(name, every_space, toy_evaluator):
    strategy = make_strategy(name, every_space, np.random.default_rng(0), population=6)
    proposals, _ = drive(strategy, toy_evaluator, generations=5)
    assert len(proposals) >= 5 * 6 - 6  # a first batch may be the whole population, the rest full batches
    assert all(isinstance(p, Proposal) for p in proposals)
    assert all(every_space.problems(p.genome) == [] for p in proposals)
    assert all(p.operator for p in proposals)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_sequence(name, searched_space, toy_evaluator):
    def keys(seed):
        strategy = make_strategy(name, searched_space, np.random.default_rng(seed), population=6)
        return [p.genome.key for p in drive(strategy, toy_evaluator, generations=4)[0]]

    assert keys(3) == keys(3)
    assert keys(3) != keys(4)


@pytest.mark.parametrize("name", NAMES)
def test_saved_state_continues_exactly(name, searched_space, toy_evaluator):
    original = make_strategy(name, searched_space, np.random.default_rng(5), population=6)
    _, index = drive(original, toy_evaluator, generations=3)
    state = json.loads(json.dumps(original.state_dict()))  # the state is plain, JSON-friendly data
    restored = make_strategy(name, searched_space, np.random.default_rng(999), population=6)
    restored.load_state_dict(state)
    after_original, _ = drive(original, toy_evaluator, generations=3, first_index=index)
    after_restored, _ = drive(restored, toy_evaluator, generations=3, first_index=index)
    assert after_original == after_restored


@pytest.mark.parametrize("name", [n for n in NAMES if n != "random"])
def test_learning_strategies_build_on_their_evaluations(name, searched_space, toy_evaluator):
    strategy = make_strategy(name, searched_space, np.random.default_rng(1), population=6)
    records = AsyncEngine(strategy, toy_evaluator, seed=1).run(7 * strategy.population_size)
    later = [r for r in records if r.generation > 0]
    assert later and all(set(r.parents) <= {p.index for p in records if p.index < r.index} for r in later)
    assert any(r.parents for r in later) or name.startswith("optuna-")  # TPE learns from all, names no parents


class ReversedToy:
    """The toy fitness turned upside down: what was best is now worst."""

    def __init__(self, toy):
        self.toy = toy

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        result = self.toy.evaluate(genome, seed)
        return type(result)(result.status, fitness=10.0 - result.fitness, params=result.params, epochs=1)


@pytest.mark.parametrize("share", [0.4, 0.8])
@pytest.mark.parametrize("name", NAMES)
def test_no_strategy_breeds_from_a_failed_or_invalid_member_while_a_succeeded_one_exists(name, share, searched_space,
                                                                                          toy_evaluator):
    """With 40% of genomes failing, and with 80% (a population of mostly failures). A success among the last
    population told is a member of every strategy's population (ageing evolution keeps only those)."""
    strategy = make_strategy(name, searched_space, np.random.default_rng(4), population=8)
    evaluator, told = PlantedFailures(toy_evaluator, share), []
    for generation in range(8):
        a_member_succeeded = any(r.result.ok for r in told[-8:])
        for proposal in strategy.ask():
            statuses = [told[p].result.status for p in proposal.parents]
            assert statuses.count(OK) == len(statuses) or not a_member_succeeded, f"{proposal.operator}: {statuses}"
            told.append(EvaluationRecord(len(told), generation, proposal.genome,
                                         evaluator.evaluate(proposal.genome, 0), proposal.parents, proposal.operator))
        strategy.tell([r for r in told if r.generation == generation])
    statuses = [r.result.status for r in told]
    assert statuses.count(INVALID) >= 5 and statuses.count(FAILED) >= 5 and statuses.count(OK) >= 10
    bred = [r for r in told if r.parents]
    assert len(bred) >= 30 or name in ("random", "optuna-tpe", "optuna-hyperband")  # they name no parents


@pytest.mark.parametrize("name", [n for n in NAMES if n != "random"])
def test_later_proposals_depend_on_the_fitness_told(name, searched_space, toy_evaluator):
    def keys(evaluator):
        strategy = make_strategy(name, searched_space, np.random.default_rng(2), population=6)
        return [p.genome.key for p in drive(strategy, evaluator, generations=4)[0]]

    straight, reversed_ = keys(toy_evaluator), keys(ReversedToy(toy_evaluator))
    assert straight[:6] == reversed_[:6]  # the first batch knows nothing yet
    assert straight[6:] != reversed_[6:]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n != "random"])
def test_beats_random_by_a_clear_margin_over_several_seeds(name, conv_space, toy_evaluator):
    """(On every built-in task's space, with a margin of its own: `tests/tasks/test_task_contract.py`.)"""
    if "random" not in RANDOM_MEDIAN_BEST:  # the same for every strategy's test: computed once a process
        RANDOM_MEDIAN_BEST["random"] = median_best("random", conv_space, toy_evaluator)
    assert median_best(name, conv_space, toy_evaluator) < 0.5 * RANDOM_MEDIAN_BEST["random"]


RANDOM_MEDIAN_BEST: dict[str, float] = {}


def median_best(strategy_name, space, evaluator, seeds=5, generations=15) -> float:
    """The median over seeds of the best fitness a strategy finds in `generations` populations of 8."""
    bests = []
    for seed in range(seeds):
        strategy = make_strategy(strategy_name, space, np.random.default_rng(seed), population=8)
        records = AsyncEngine(strategy, evaluator, seed).run(generations * strategy.population_size)
        bests.append(min(r.result.fitness for r in records))
    return float(np.median(bests))


@pytest.mark.parametrize("name", NAMES)
def test_the_first_candidate_is_the_spaces_default_and_it_is_proposed_once(name, every_space, toy_evaluator):
    strategy = make_strategy(name, every_space, np.random.default_rng(0), population=6)
    proposals, _ = drive(strategy, toy_evaluator, generations=4)
    default = every_space.default
    if default is None:
        assert all(p.operator != "default" for p in proposals)
        return
    assert proposals[0].genome == default and proposals[0].operator == "default"
    assert [p.genome for p in proposals].count(default) == 1


@pytest.mark.parametrize("name", NAMES)
def test_starting_points_come_first_then_the_default_each_once(name, searched_space, toy_evaluator):
    rng = np.random.default_rng(7)
    starts = [searched_space.sample(rng) for _ in range(2)]
    strategy = make_strategy(name, searched_space, np.random.default_rng(0), population=6, starting_points=starts)
    proposals, _ = drive(strategy, toy_evaluator, generations=3)
    firsts = [*starts, *([searched_space.default] if searched_space.default is not None else [])]
    assert [p.genome for p in proposals[:len(firsts)]] == firsts
    assert [p.operator for p in proposals[:len(starts)]] == ["start", "start"]
    assert all([p.genome for p in proposals].count(genome) == 1 for genome in firsts)


def test_a_prior_draws_fresh_genomes_near_the_default_and_without_one_nothing_changes(conv_space, toy_evaluator):
    def proposals(**prior):
        strategy = make_strategy("random", conv_space, np.random.default_rng(3), population=8, **prior)
        return drive(strategy, toy_evaluator, generations=3)[0]

    plain, unweighted, weighted = proposals(), proposals(prior=0.0, starting_points=()), proposals(prior=1.0)
    assert [p.genome for p in plain] == [p.genome for p in unweighted]  # histories without a prior stay as they were
    assert {p.operator for p in weighted[1:]} == {"prior"}
    assert {p.operator for p in plain[1:]} == {"random"}
    default = conv_space.default

    def shared_genes(proposals):
        """How many of five genes each fresh proposal shares with the default genes, on average."""
        return np.mean([sum(getattr(p.genome.training, gene) == getattr(default.training, gene)
                            for gene in ("optimizer", "batch_size", "loss", "learning_rate"))
                        + (p.genome.encoder == default.encoder) for p in proposals[1:]])

    assert shared_genes(weighted) > shared_genes(plain) + 1


def test_a_prior_weight_outside_zero_to_one_is_refused(conv_space):
    with pytest.raises(ValueError, match="between 0 and 1"):
        make_strategy("ga", conv_space, np.random.default_rng(0), prior=1.5)


def _rung_zero_records(strategy, evaluator):
    batch = strategy.ask()
    records = [EvaluationRecord(i, 0, p.genome, evaluator.evaluate(p.genome, 0), p.parents, p.operator)
               for i, p in enumerate(batch)]
    strategy.tell(records)
    return records


def test_ageing_evolution_judges_a_promoted_member_by_its_most_trained_result(conv_space, toy_evaluator):
    import dataclasses

    strategy = make_strategy("tournament", conv_space, np.random.default_rng(0), population=6,
                             tournament_size=6)  # every member enters: the tournament's choice is known
    records = _rung_zero_records(strategy, toy_evaluator)
    worst = max(records, key=lambda r: r.result.fitness)
    assert {p.parents for p in strategy.ask()} != {(worst.index,)}
    promoted = dataclasses.replace(worst, index=len(records), rung=1, continued_from=worst.index,
                                   result=dataclasses.replace(worst.result, fitness=worst.result.fitness + 1.0))
    strategy.tell_rung(promoted)  # trained further (even if no better): the more-trained member wins
    assert {p.parents for p in strategy.ask()} == {(promoted.index,)}


def test_dehb_builds_every_mutant_on_a_most_trained_member(conv_space, toy_evaluator):
    import dataclasses

    strategy = make_strategy("dehb", conv_space, np.random.default_rng(0), population=6, pool=1)
    records = _rung_zero_records(strategy, toy_evaluator)
    worst = max(records, key=lambda r: r.result.fitness)
    strategy.tell_rung(dataclasses.replace(worst, index=len(records), rung=2))
    proposals = strategy.ask()
    bases = [p.parents[1] for p in proposals if p.parents[0] != worst.index]
    assert bases and set(bases) == {worst.index}  # a = the one most-trained member, for every other target

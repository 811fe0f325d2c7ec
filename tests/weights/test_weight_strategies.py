"""The weight-strategy contract, run against every registered weight strategy on a toy least-squares
problem (no Keras): shapes, determinism, exact continuation from saved state, NaN handling, and that
each one makes real progress."""

import numpy as np
import pytest

from archsearch.weights.strategies import WEIGHT_STRATEGIES, make_weight_strategy

N_PARAMS = 20
POPULATION = 16


def toy_problem(seed: int = 0):
    """A least-squares loss per row of a population: mean((x A - b)^2), minimum 0."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(N_PARAMS, 30)) / np.sqrt(N_PARAMS)
    b = rng.normal(size=30) * 0.3
    return lambda population: np.mean((np.asarray(population, np.float64) @ a - b) ** 2, axis=1)


def start(name: str, seed: int = 0, **options):
    initial = np.random.default_rng(100).normal(0, 0.5, (4, N_PARAMS)).astype(np.float32)
    return make_weight_strategy(name, initial, np.random.default_rng(seed), POPULATION, **options)


def run(strategy, loss, generations: int) -> list[np.ndarray]:
    asked = []
    for _ in range(generations):
        population = strategy.ask()
        asked.append(population)
        strategy.tell(loss(population))
    return asked


@pytest.mark.parametrize("name", sorted(WEIGHT_STRATEGIES))
def test_asks_a_float32_population_of_the_right_shape(name):
    strategy = start(name)
    population = strategy.ask()
    assert population.shape == (POPULATION, N_PARAMS) and population.dtype == np.float32
    assert np.isfinite(population).all() and len(np.unique(population, axis=0)) > 1
    with pytest.raises(ValueError, match="losses"):
        strategy.tell(np.zeros(POPULATION - 1))


@pytest.mark.parametrize("name", sorted(WEIGHT_STRATEGIES))
def test_improves_the_toy_loss(name):
    loss = toy_problem()
    strategy = start(name)
    first = loss(strategy.ask())
    strategy.tell(first)
    run(strategy, loss, 150)
    assert loss(strategy.solution[None])[0] < 0.5 * np.median(first)
    assert strategy.best_fitness <= first.min()


@pytest.mark.parametrize("name", sorted(WEIGHT_STRATEGIES))
def test_same_seed_same_populations_and_different_seed_differs(name):
    loss = toy_problem()
    one, two, other = (run(start(name, seed), loss, 5) for seed in (3, 3, 4))
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(one, other))


@pytest.mark.parametrize("name", sorted(WEIGHT_STRATEGIES))
def test_saved_state_continues_exactly(name):
    loss = toy_problem()
    strategy = start(name)
    run(strategy, loss, 3)
    state = strategy.state_dict()
    expected = run(strategy, loss, 3)
    restored = start(name, seed=99)
    restored.load_state_dict(state)
    for a, b in zip(expected, run(restored, loss, 3)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(WEIGHT_STRATEGIES))
def test_nan_losses_count_as_worst_and_do_not_poison_the_search(name):
    loss = toy_problem()
    strategy = start(name)
    for generation in range(20):
        population = strategy.ask()
        losses = loss(population)
        losses[::3] = np.nan  # a third of every population diverges
        strategy.tell(losses)
    assert np.isfinite(strategy.solution).all() and np.isfinite(strategy.best_fitness)


def test_unknown_strategy_and_bad_population_are_clear_errors():
    with pytest.raises(ValueError, match="unknown weight strategy 'sgd'"):
        start("sgd")
    with pytest.raises(ValueError, match="even"):
        make_weight_strategy("es", np.zeros(3), np.random.default_rng(0), 5)
    with pytest.raises(ValueError, match="use es"):
        make_weight_strategy("cma-es", np.zeros(20), np.random.default_rng(0), 8, max_params=10)
    with pytest.raises(ValueError, match="sigma_learning_rate must be positive"):
        make_weight_strategy("snes", np.zeros(3), np.random.default_rng(0), 4, sigma_learning_rate=-1)
    with pytest.raises(ValueError, match="anneal is the share of the run"):
        make_weight_strategy("es", np.zeros(3), np.random.default_rng(0), 4, anneal=1.5)


def test_annealing_keeps_the_rate_then_falls_linearly_to_a_tenth():
    from archsearch.weights.strategies.base import annealed

    assert [annealed(2.0, p, 0.5) for p in (0.0, 0.5, 0.75, 1.0)] == pytest.approx([2.0, 2.0, 1.1, 0.2])
    assert annealed(2.0, 1.0, 0.0) == 2.0  # no annealing: the rate stays


@pytest.mark.parametrize("name", ["es", "snes"])
def test_an_annealed_step_at_the_end_of_the_run_is_a_tenth_of_the_full_one(name):
    """The same population and losses, told at the start and at the end of an annealed run: the centre
    moves a tenth as far (es's first Adam step has the length of its learning rate in every weight)."""
    loss = toy_problem()
    steps = []
    for progress in (0.0, 1.0):
        strategy = start(name, anneal=0.5)
        before = strategy.solution.copy()
        strategy.progress = progress
        strategy.tell(loss(strategy.ask()))
        steps.append(np.abs(strategy.solution - before).max())
    assert steps[1] == pytest.approx(0.1 * steps[0], rel=1e-4)


def test_nes_utilities_reward_the_better_half_and_sum_to_zero():
    from archsearch.weights.strategies.snes import nes_utilities

    losses = np.array([0.3, 0.1, 0.9, 0.5, 0.2, 0.7])
    utilities = nes_utilities(losses)
    assert utilities.sum() == pytest.approx(0.0, abs=1e-12)
    order = np.argsort(losses)
    assert np.all(np.diff(utilities[order]) <= 0)  # never more for a worse loss
    worse_half = utilities[order[3:]]
    assert np.allclose(worse_half, worse_half[0]) and worse_half[0] < 0 < utilities[order[0]]


@pytest.mark.parametrize("name", sorted(WEIGHT_STRATEGIES))
def test_a_strategy_draws_as_many_starting_vectors_as_it_uses(name):
    """One centre for the ES family, a whole first generation for `ga`; and `starting_from` puts a given
    vector first (to compare methods from the same weights)."""
    from archsearch.weights.evolution import starting_from

    drawn = []

    def draw(count):
        drawn.append(count)
        return np.random.default_rng(count).normal(size=(count, N_PARAMS)).astype(np.float32)

    strategy = make_weight_strategy(name, draw, np.random.default_rng(0), POPULATION)
    assert drawn == [POPULATION if name == "ga" else 1]
    assert strategy.initial.shape == (drawn[0], N_PARAMS)
    given = np.arange(N_PARAMS, dtype=np.float32)
    started = starting_from(given, make_weight_strategy)(name, draw, np.random.default_rng(0), POPULATION)
    np.testing.assert_array_equal(started.initial[0], given)
    assert len(started.initial) == drawn[0]


def test_noise_rows_are_seeded_standard_normal_slices_of_one_table():
    from archsearch.weights.strategies.noise import NoiseTable

    table = NoiseTable(np.random.default_rng(3), width=1000)
    rows = table.rows(np.random.default_rng(4), 64)
    again = NoiseTable(np.random.default_rng(3), width=1000).rows(np.random.default_rng(4), 64)
    assert rows.shape == (64, 1000) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows, again)
    assert abs(rows.mean()) < 0.02 and abs(rows.std() - 1) < 0.02
    correlations = np.corrcoef(rows)[np.triu_indices(64, 1)]
    assert np.abs(correlations).max() < 0.2  # shifted slices of iid draws are uncorrelated
    other = NoiseTable(np.random.default_rng(5), width=1000).rows(np.random.default_rng(4), 64)
    assert not np.allclose(rows, other)

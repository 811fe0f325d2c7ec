"""The two fixed encodings of a genome: DE's unit-cube vector and Optuna's conditional parameters."""

import numpy as np
import optuna

from archsearch.strategies.de import vector_encoding
from archsearch.strategies.optuna_space import genome_params, suggest_genome


def test_de_vector_round_trips_every_valid_genome(every_space):
    encoding, rng = vector_encoding(every_space), np.random.default_rng(0)
    for _ in range(200):
        genome = every_space.sample(rng)
        vector = encoding.encode(genome, rng)
        assert vector.shape == (encoding.length,) and np.all((vector >= 0) & (vector <= 1))
        assert encoding.decode(vector) == genome


def test_de_vector_decodes_any_point_into_a_repairable_genome(every_space):
    encoding, rng = vector_encoding(every_space), np.random.default_rng(1)
    for _ in range(200):
        genome = every_space.repair(encoding.decode(rng.random(encoding.length) * 1.4 - 0.2), rng)
        assert every_space.problems(genome) == []


def test_optuna_parameters_round_trip_every_valid_genome(every_space):
    rng = np.random.default_rng(2)
    for _ in range(100):
        genome = every_space.sample(rng)
        params, distributions = genome_params(genome, every_space)
        assert all(distributions[name]._contains(distributions[name].to_internal_repr(value))
                   for name, value in params.items())
        trial = optuna.trial.FixedTrial(params)
        assert suggest_genome(trial, every_space) == genome


def test_optuna_lineage_records_every_evaluation_once(tmp_path, toy_evaluator):
    from archsearch.api import prepare_run_dir, run_search
    from archsearch.run.config import SearchConfig

    storage = f"sqlite:///{tmp_path / 'lineage.db'}"
    config = SearchConfig(strategy="ga", population=4, generations=2, optuna_storage=storage)
    run_dir = tmp_path / "run"
    records = run_search(prepare_run_dir(config, run_dir, resume=False), run_dir, toy_evaluator)
    run_search(prepare_run_dir(config, run_dir, resume=True), run_dir, toy_evaluator)  # a resume adds nothing
    trials = optuna.load_study(study_name=str(run_dir), storage=storage).get_trials()
    assert len(trials) == len(records) == 12
    by_index = {t.user_attrs["index"]: t for t in trials}
    for record in records:
        trial = by_index[record.index]
        assert trial.value == record.result.fitness
        assert trial.user_attrs["generation"] == record.generation
        assert trial.user_attrs["parents"] == list(record.parents)
        assert trial.user_attrs["operator"] == record.operator

"""The two fixed encodings of a genome: DE's unit-cube vector and Optuna's conditional parameters."""

import numpy as np
import optuna
import pytest

from archsearch.analysis.run_reports import standard_reports
from archsearch.autoencoder.space_file import load_space
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


@pytest.mark.slow  # runs two searches into SQLite: seconds
def test_optuna_lineage_records_every_evaluation_once(tmp_path, toy_evaluator):
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.run.run_dir import prepare_run_dir
    from archsearch.run.runner import run_search

    storage = f"sqlite:///{tmp_path / 'lineage.db'}"
    config = SearchConfig(strategy="ga", population=4, generations=2, optuna_storage=storage)
    run_dir = tmp_path / "run"
    records = run_search(prepare_run_dir(config, run_dir, resume=False), run_dir, load_space(), toy_evaluator,
                         reports=standard_reports)
    run_search(prepare_run_dir(config, run_dir, resume=True), run_dir, load_space(), toy_evaluator,
               reports=standard_reports)  # adds nothing
    study = optuna.load_study(study_name=str(run_dir), storage=storage)
    trials = study.get_trials()
    assert len(trials) == len(records) == 12
    assert study.metric_names == ["val MSE"] and study.user_attrs["population"] == 4
    for record, trial in zip(records, trials):  # one trial per candidate, numbered as archsearch numbers them
        assert trial.number == record.candidate == trial.user_attrs["candidate"]
        assert trial.value == record.result.fitness and trial.state == optuna.trial.TrialState.COMPLETE
        assert trial.user_attrs["generation"] == record.generation
        assert trial.user_attrs["parents"] == [records[p].candidate for p in record.parents]
        assert trial.user_attrs["operator"] == record.operator
        assert trial.datetime_start <= trial.datetime_complete


@pytest.mark.slow  # runs a search into SQLite: seconds
def test_optuna_lineage_of_a_multi_fidelity_run_has_a_trial_per_candidate_and_its_rungs(tmp_path, toy_evaluator):
    from conftest import ToyFidelityEvaluator

    from archsearch.autoencoder.config import SearchConfig
    from archsearch.run.run_dir import prepare_run_dir
    from archsearch.run.runner import run_search

    storage = f"sqlite:///{tmp_path / 'lineage.db'}"
    config = SearchConfig(strategy="ga", population=4, generations=2, optuna_storage=storage, fidelity="asha",
                          min_budget=128, max_budget=1152, train_size=100, val_size=10)
    run_dir = tmp_path / "run"
    records = run_search(prepare_run_dir(config, run_dir, resume=False), run_dir, load_space(),
                         ToyFidelityEvaluator(toy_evaluator), reports=standard_reports)
    trials = optuna.load_study(study_name=str(run_dir), storage=storage).get_trials()
    candidates = sorted({r.candidate for r in records})
    assert [t.number for t in trials] == candidates == list(range(12))
    for trial in trials:
        evaluations = [r for r in records if r.candidate == trial.number]
        assert trial.intermediate_values == {r.budget: r.result.fitness for r in evaluations}
        top = max(evaluations, key=lambda r: r.rung)
        expected = optuna.trial.TrialState.COMPLETE if top.budget == 1152 else optuna.trial.TrialState.PRUNED
        assert trial.state == expected and trial.value == top.result.fitness
    assert any(t.state == optuna.trial.TrialState.COMPLETE for t in trials)


def test_in_the_optuna_view_a_failed_trial_says_why_first_and_the_study_names_its_task(tmp_path, toy_evaluator):
    from conftest import PlantedFailures

    from archsearch.autoencoder.config import SearchConfig
    from archsearch.run.run_dir import prepare_run_dir
    from archsearch.run.runner import run_search

    storage = f"sqlite:///{tmp_path / 'lineage.db'}"
    config = SearchConfig(strategy="ga", population=4, generations=2, optuna_storage=storage)
    run_dir = tmp_path / "run"
    run_search(prepare_run_dir(config, run_dir, resume=False), run_dir, load_space(), PlantedFailures(toy_evaluator),
               reports=standard_reports)
    study = optuna.load_study(study_name=str(run_dir), storage=storage)
    assert study.user_attrs["task"] == "autoencoder"
    failed = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.FAIL]
    succeeded = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE]
    assert failed and succeeded
    for trial in failed:  # the dashboard lists a trial's user attributes in their order: the reason leads
        assert next(iter(trial.user_attrs.items())) == ("Reason", "planted")
    assert all(trial.user_attrs["Reason"] == "" for trial in succeeded)

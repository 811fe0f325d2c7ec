"""Latent metrics as search objectives: what is minimised, the front they give, NSGA-II selecting on
them, the evaluators measuring them on real trained encoders, and a whole search from the command line."""

import dataclasses
import json
import math

import numpy as np
import optuna
import pandas as pd
import pytest

from archsearch.analysis.pareto import pareto_front, write_pareto
from archsearch.autoencoder.backprop import BackpropEvaluator
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.space_file import load_space
from archsearch.autoencoder.weight_inner_loop import WeightEvolutionEvaluator
from archsearch.cli.main import main
from archsearch.core.errors import ArchsearchError
from archsearch.core.objectives import LATENT_METRICS, objective_values, parse_objectives
from archsearch.core.records import FAILED, OK, EvaluationRecord, EvaluationResult
from archsearch.latent.quality import LatentQuality
from archsearch.run.engine import AsyncEngine
from archsearch.run.journal import Journal
from archsearch.strategies.nsga2 import NSGA2
from archsearch.tasks.evaluator import EpochSettings
from archsearch.weights.evolution import WeightEvolutionSettings
from archsearch.weights.strategies import make_weight_strategy

DENSE = Genome((LayerGene("dense", units=8, activation="tanh"),), 2, TrainingGenes("adam", 1e-2, 16, "mse"))


def record(index: int, loss: float, params: int, nmi: float, status: str = OK) -> EvaluationRecord:
    genome = Genome((LayerGene("conv", 8 * (index + 1), 3, 1, "relu"),), 16)
    return EvaluationRecord(index, 0, genome, EvaluationResult(status, loss, params, metrics={"latent_nmi": nmi}))


# A is best in loss; B the smallest; C has the most informative codes; D is beaten by A everywhere.
RECORDS = [record(0, 0.1, 1000, 0.90), record(1, 0.2, 10, 0.10), record(2, 0.3, 5000, 0.95),
           record(3, 0.4, 20000, 0.05), record(4, 0.01, 1, 1.0, FAILED)]


def test_a_latent_objective_is_one_minus_its_metric_and_a_failure_is_worst_everywhere():
    size, nmi = parse_objectives(["params", "nmi"])
    assert objective_values(RECORDS[0].result, (size, nmi)) == pytest.approx((0.1, 1000.0, 0.1))
    assert objective_values(RECORDS[4].result, (size, nmi)) == (math.inf, math.inf, math.inf)
    assert nmi.value(EvaluationResult(OK, 0.1, 10)) == math.inf  # never measured
    assert nmi.label == "1 - nmi" and size.label == "parameters"


def test_the_latent_objectives_are_the_metrics_latent_quality_reports():
    assert set(LATENT_METRICS) == {f.name for f in dataclasses.fields(LatentQuality)}


@pytest.mark.parametrize("names, message", [
    (["size"], "unknown size"), (["nmi", "nmi"], "named twice"), ([], "name at least one")])
def test_bad_objective_names_are_one_line_errors(names, message):
    with pytest.raises(ArchsearchError, match=message):
        parse_objectives(names)


@pytest.mark.parametrize("names, front", [
    (["params"], [1, 0]), (["nmi"], [2, 0]), (["params", "nmi"], [1, 0, 2])])
def test_the_pareto_front_is_that_of_the_chosen_objectives(names, front):
    assert [r.index for r in pareto_front(RECORDS, parse_objectives(names))] == front


def test_a_run_without_a_success_has_an_empty_front_and_still_draws_it(tmp_path):
    assert write_pareto(RECORDS[4:], tmp_path, objectives=parse_objectives(["nmi"])) == []
    assert (tmp_path / "pareto.png").is_file() and (tmp_path / "pareto.csv").is_file()


@pytest.mark.parametrize("names, survivors", [(["params"], {0, 1}), (["nmi"], {0, 2})])
def test_nsga2_keeps_the_front_of_its_own_objectives(names, survivors):
    strategy = NSGA2(load_space("conv_autoencoder"), np.random.default_rng(0), population=2, objectives=names)
    strategy.tell(RECORDS)
    assert {c.record.index for c in strategy.population} == survivors
    restored = NSGA2(load_space("conv_autoencoder"), np.random.default_rng(0), population=2, objectives=names)
    restored.load_state_dict(json.loads(json.dumps(strategy.state_dict())))
    assert [c.fitness.values for c in restored.population] == [c.fitness.values for c in strategy.population]


class ToyWithCodes:
    """The toy fitness, plus a stand-in latent metric that prefers small codes (8 -> 1, 16 -> 0.5, 32 -> 0.25)."""

    def __init__(self, toy) -> None:
        self.toy = toy

    def evaluate(self, genome: Genome, seed: int, parents=(), fidelity=None) -> EvaluationResult:
        result = self.toy.evaluate(genome, seed)
        return dataclasses.replace(result, metrics={"latent_nmi": 8 / genome.latent_size})


def test_an_nsga2_run_on_a_latent_objective_resumes_exactly_and_differs_from_one_on_size(toy_evaluator, tmp_path):
    def search(objectives, generations, journal=None, replay=()):
        strategy = NSGA2(load_space("conv_autoencoder"), np.random.default_rng(3), population=6, objectives=objectives)
        return AsyncEngine(strategy, ToyWithCodes(toy_evaluator), 3, journal=journal).run(6 * (generations + 1), replay)

    def history(records):
        return [(r.genome.key, r.parents, r.operator, r.result.fitness) for r in records]

    uninterrupted = search(["nmi"], 5)
    journal = Journal(tmp_path / "journal.jsonl")
    search(["nmi"], 2, journal)
    assert history(search(["nmi"], 5, journal, journal.events())) == history(uninterrupted)
    assert history(search(["params"], 5)) != history(uninterrupted)


def latent(result: EvaluationResult) -> dict[str, float]:
    return {k: v for k, v in result.metrics.items() if k.startswith("latent_")}


@pytest.mark.slow
def test_backprop_evaluator_measures_what_the_trained_codes_know_about_the_labels(blobs):
    (x_train, y_train), (x_val, y_val) = blobs(300, 0), blobs(100, 1)
    settings = EpochSettings(epochs=6, patience=6)
    scored = BackpropEvaluator(x_train, x_val, settings, labels=(y_train, y_val)).evaluate(DENSE, seed=0)
    assert scored.ok and set(latent(scored)) == {f"latent_{n}" for n in LATENT_METRICS}
    assert scored.metrics["latent_linear_probe_accuracy"] >= 0.8  # left or right can be read from the codes
    assert all(-1 <= v <= 1 for v in latent(scored).values())
    shuffled = np.random.default_rng(0).permutation(y_val)
    against_noise = BackpropEvaluator(x_train, x_val, settings, labels=(y_train, shuffled)).evaluate(DENSE, seed=0)
    assert against_noise.fitness == scored.fitness  # the same training; only the scoring labels differ
    assert against_noise.metrics["latent_linear_probe_accuracy"] < 0.65  # chance is 0.5
    assert latent(BackpropEvaluator(x_train, x_val, settings).evaluate(DENSE, seed=0)) == {}


@pytest.mark.slow
def test_weight_evolution_evaluator_measures_the_evolved_codes(blobs):
    (x_train, y_train), (x_val, y_val) = blobs(100, 0), blobs(60, 1)
    settings = WeightEvolutionSettings(strategy="es", population=8, generations=3, batch_size=None)
    scored = WeightEvolutionEvaluator(x_train, x_val, settings, make_weight_strategy,
                                      labels=(y_train, y_val)).evaluate(DENSE, seed=0)
    assert scored.ok and 0 <= scored.metrics["latent_cluster_accuracy"] <= 1


@pytest.mark.slow
def test_nsga2_search_on_a_latent_objective_from_the_command_line(tmp_path, blobs, capsys):
    (x_train, y_train), (x_test, y_test) = blobs(400, 0), blobs(100, 1)
    data = tmp_path / "blobs.npz"
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    run, storage = tmp_path / "run", f"sqlite:///{tmp_path / 'study.db'}"
    common = ["--out", str(run), "--data", str(data), "--in-process"]
    assert main(["search", "dense_autoencoder", "--strategy", "nsga2", "--objectives", "linear_probe_accuracy,params",
                 "--population", "4", "--generations", "1", "--train-size", "200", "--val-size", "60",
                 "--epochs", "1", "--final-train-size", "200", "--final-epochs", "1", "--min-budget", "128",
                 "--max-budget", "1152", "--optuna-storage", storage, *common]) == 0
    printed = " ".join(capsys.readouterr().err.split())  # the progress console writes to stderr, wrapped
    assert "validation MSE against 1 - linear probe accuracy and parameters" in printed

    evaluations = pd.read_csv(run / "evaluations.csv")
    ok = evaluations[evaluations["status"] == "ok"]
    assert len(ok) >= 4 and ok["latent_linear_probe_accuracy"].between(0, 1).all()
    front = pd.read_csv(run / "pareto.csv")
    assert {"val_mse", "params", "latent_linear_probe_accuracy"} <= set(front.columns)
    # each genome as the front sees it: its most trained evaluation (the default search is multi-fidelity)
    scored = ok.sort_values(["rung", "index"], ascending=[False, True]).drop_duplicates("genome_key")
    for row in front.itertuples():  # nothing evaluated beats a member of the front on all three
        better = ((scored["fitness"] <= row.val_mse) & (scored["params"] <= row.params)
                  & (scored["latent_linear_probe_accuracy"] >= row.latent_linear_probe_accuracy))
        strictly = ((scored["fitness"] < row.val_mse) | (scored["params"] < row.params)
                    | (scored["latent_linear_probe_accuracy"] > row.latent_linear_probe_accuracy))
        assert not (better & strictly).any()
    assert (run / "pareto.png").is_file()

    study = optuna.load_study(study_name=str(run), storage=storage)
    assert len(study.directions) == 3
    trial = next(t for t in study.trials if t.values)  # its values: its candidate's most trained evaluation
    row = scored.set_index("genome_key").loc[trial.user_attrs["genome_key"]]
    assert trial.values == pytest.approx([row["fitness"], 1 - row["latent_linear_probe_accuracy"], row["params"]])

    assert main(["search", "--objectives", "nmi", "--resume", *common]) == 2  # the run weighed other objectives
    assert "objectives was ['linear_probe_accuracy', 'params']" in capsys.readouterr().err


def test_latent_objectives_need_a_multi_objective_strategy_and_labels(tmp_path, blobs, capsys):
    unlabelled = tmp_path / "unlabelled.npz"
    np.savez(unlabelled, x_train=blobs(60, 0)[0])
    cases = [
        (["--objectives", "nmi"], "only a multi-objective strategy (nsga2) weighs them; ga minimises"),
        (["--strategy", "nsga2", "--objectives", "nmi,size"], "--objectives nmi,size: unknown size"),
        (["--strategy", "nsga2", "--objectives", "nmi", "--data", str(unlabelled)], "need class labels"),
    ]
    for arguments, message in cases:
        assert main(["search", *arguments, "--in-process", "--out", str(tmp_path / "never")]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and message in error[0], error
    assert not (tmp_path / "never").exists()

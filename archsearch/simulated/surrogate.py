"""`surrogate`: our own conv-autoencoder search on Fashion-MNIST, as a model of its journaled evaluations.

Every real evaluation a journal holds (a genome of the `conv_autoencoder` space, the budget it reached,
its validation MSE and its seconds) is a training example. Two gradient-boosted tree models learn
log validation MSE, and log seconds per image trained, from what a genome is (its parameters and
multiply-adds from its plan, its layers by kind, filters, kernels, strides, activations, code size and
training genes) and the budget. The search then runs on the real space, its sampling, mutation,
crossover and repair, with the real parameter limit (an over-large genome is invalid, as the builder
says), and each evaluation costs microseconds.

The observed error is the model's times a log-normal noise from the evaluation's seed, `NOISE` at the
lowest rung shrinking to `NOISE / 3` at the top (training seeds move a real candidate's MSE by a few
percent). `regret` is a candidate's modelled error at the top budget minus the lowest the model gives
any genome it was fitted on or any of `REFERENCE_SAMPLES` random genomes: it can fall below 0 where a
search finds better than all of those. `held_out_error` says how well the model predicts genomes it
has not seen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from archsearch.autoencoder.cost import plan_cost
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.plan import plan_autoencoder
from archsearch.autoencoder.space import with_latent
from archsearch.autoencoder.space_file import load_space
from archsearch.core.errors import ArchsearchError, InvalidGenome
from archsearch.simulated.benchmark import Outcome

SPACE_NAME = "conv_autoencoder"
IMAGE = (28, 28, 1)
LADDER = (6_016, 18_048, 54_016, 162_048)  # the rungs of the journaled runs (images seen)
TOP_BUDGET = LADDER[-1]
MAX_PARAMS = 1_000_000
NOISE = 0.03  # the log-normal noise's standard deviation at the lowest rung (at the top: a third of it)
REFERENCE_SAMPLES = 20_000
KINDS = ("conv", "pool", "batchnorm", "dropout", "dense")
ACTIVATIONS = ("relu", "elu", "tanh")


@dataclass(frozen=True)
class Example:
    """One journaled evaluation: the genome, the budget it trained from and to, its error and seconds."""

    genome: Genome
    start: int
    budget: int
    fitness: float
    train_seconds: float
    run: str  # the journal it came from


def read_examples(journals: Iterable[Path]) -> list[Example]:
    """The successful evaluations of `conv_autoencoder` runs on 28x28 images in these journals (a run
    directory's config.json says its space); others are left out."""
    examples = []
    for journal in journals:
        config = journal.parent / "config.json"
        if not config.is_file() or json.loads(config.read_text()).get("space") != SPACE_NAME:
            continue
        budgets: dict[int, int] = {}
        for line in journal.read_text().splitlines():
            event = json.loads(line)
            if "result" not in event or event.get("budget") is None:
                continue
            budgets[event["index"]] = event["budget"]
            result = event["result"]
            if result["status"] != "ok" or event.get("cached_from") is not None:
                continue
            start = budgets.get(event["continued_from"], 0) if event.get("continued_from") is not None else 0
            examples.append(Example(Genome.from_dict(event["genome"]), start, event["budget"], result["fitness"],
                                    result["train_seconds"], str(journal.parent)))
    return examples


def features(genome: Genome, budget: float) -> list[float]:
    """What the models read of a genome trained to `budget` (raises `InvalidGenome` as the planner does)."""
    cost = plan_cost(plan_autoencoder(genome, IMAGE))
    layers = genome.encoder
    convs = [g for g in layers if g.kind == "conv"]
    filters = [g.filters for g in convs] or [0]
    training = genome.training
    return [math.log(budget), math.log(cost.params), math.log(cost.multiply_adds + 1), genome.latent_size,
            len(layers), *(sum(g.kind == kind for g in layers) for kind in KINDS),
            math.prod(g.scale for g in layers), filters[0], max(filters), float(np.mean(filters)),
            float(np.mean([g.kernel for g in convs])) if convs else 0.0,
            *(sum(g.activation == a for g in layers) for a in ACTIVATIONS),
            max([g.units for g in layers if g.kind == "dense"] or [0]),
            sum(g.rate for g in layers if g.kind == "dropout"),
            float(training.optimizer == "adam"), math.log10(training.learning_rate), math.log2(training.batch_size),
            float(training.loss == "mse")]


def _model(seed: int = 0) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, min_samples_leaf=10,
                                         l2_regularization=1.0, random_state=seed)


def fit_models(examples: list[Example]) -> tuple[HistGradientBoostingRegressor, HistGradientBoostingRegressor]:
    """The error model (log MSE) and the cost model (log seconds per image trained)."""
    if len(examples) < 50:
        raise ArchsearchError(f"surrogate: {len(examples)} journaled {SPACE_NAME} evaluations found, need at least "
                              "50 (--data-dir: a folder of run directories, such as results/reference)")
    x = np.array([features(e.genome, e.budget) for e in examples])
    error = _model().fit(x, np.log([e.fitness for e in examples]))
    per_image = np.log([max(e.train_seconds, 1e-3) / (e.budget - e.start) for e in examples])
    return error, _model().fit(x, per_image)


def held_out_error(examples: list[Example], folds: int = 5) -> dict[str, float]:
    """How well models fitted on the other genomes predict a genome's error: the Spearman correlation of
    predicted and measured MSE at each budget, the median absolute relative error of MSE and of seconds,
    over `folds` folds that keep each genome's evaluations together."""
    from scipy.stats import spearmanr
    from sklearn.model_selection import GroupKFold

    x = np.array([features(e.genome, e.budget) for e in examples])
    y = np.log([e.fitness for e in examples])
    cost = np.log([max(e.train_seconds, 1e-3) / (e.budget - e.start) for e in examples])
    groups = [e.genome.key for e in examples]
    predicted, predicted_cost = np.zeros_like(y), np.zeros_like(y)
    for train, test in GroupKFold(folds).split(x, y, groups):
        predicted[test] = _model().fit(x[train], y[train]).predict(x[test])
        predicted_cost[test] = _model().fit(x[train], cost[train]).predict(x[test])
    budgets = np.array([e.budget for e in examples])
    out = {"examples": float(len(examples)), "genomes": float(len(set(groups))),
           "median relative error of MSE": float(np.median(np.abs(np.exp(predicted - y) - 1))),
           "median relative error of seconds": float(np.median(np.abs(np.exp(predicted_cost - cost) - 1)))}
    for budget in sorted(set(budgets)):
        at = budgets == budget
        if at.sum() >= 10:
            out[f"Spearman at {budget:,} images ({at.sum()})"] = float(spearmanr(predicted[at], y[at]).statistic)
    return out


class Surrogate:
    """The surrogate as a `simulated.benchmark.Benchmark`, fitted on the journals under `results` (a
    folder searched for journal.jsonl files, such as the repository's results/reference); `latent`
    fixes the code size (as comparisons should: a larger code always reconstructs better)."""

    name = "surrogate"
    top_budget = TOP_BUDGET
    budget_unit = "images seen"
    fixed_seconds = 2.0  # building and tracing a candidate, as the journals' seconds less training show

    def __init__(self, results: Path, latent: int | None = None, reference_samples: int = REFERENCE_SAMPLES) -> None:
        self.examples = read_examples(sorted(Path(results).rglob("journal.jsonl")))
        self.space = with_latent(load_space(SPACE_NAME), latent or 0)
        self.description = (f"a model of the conv-autoencoder search fitted on {len(self.examples):,} journaled "
                            f"evaluations under {results}" + (f", at a code size of {latent}" if latent else ""))
        self.error_model, self.cost_model = fit_models(self.examples)
        self._cache: dict[tuple[str, int], tuple[float, float]] = {}
        rng = np.random.default_rng(0)
        genomes = {e.genome.key: e.genome for e in self.examples if latent in (None, e.genome.latent_size)}
        genomes.update((g.key, g) for g in (self.space.sample(rng) for _ in range(reference_samples)))
        finals = self._errors(list(genomes.values()), TOP_BUDGET)
        self.best_known = float(np.min(finals))

    def _errors(self, genomes: list[Genome], budget: int) -> np.ndarray:
        """The modelled MSE at `budget` of every valid genome (inf for the others)."""
        rows, where = [], []
        for i, genome in enumerate(genomes):
            try:
                rows.append(features(genome, budget))
                where.append(i)
            except InvalidGenome:
                continue
        out = np.full(len(genomes), math.inf)
        if rows:
            out[where] = np.exp(self.error_model.predict(np.array(rows)))
        return out

    def predictions(self, genome: Genome, budget: int) -> tuple[float, float, float]:
        """The modelled MSE at `budget` and at the top, and seconds per image at `budget`: predicted for
        the journaled rungs' budgets at once on a genome's first evaluation (a prediction costs a
        millisecond however many rows it has), so a promotion costs nothing."""
        key = genome.key
        if (key, budget) not in self._cache:
            budgets = sorted({*LADDER, budget})
            x = np.array([features(genome, b) for b in budgets])
            errors, per_image = np.exp(self.error_model.predict(x)), np.exp(self.cost_model.predict(x))
            self._cache.update(((key, b), (e, c)) for b, e, c in zip(budgets, errors, per_image))
        error, per_image = self._cache[(key, budget)]
        return float(error), float(self._cache[(key, TOP_BUDGET)][0]), float(per_image)

    def outcome(self, genes: Genome, budget: int, start: int, seed: int) -> Outcome:
        cost = plan_cost(plan_autoencoder(genes, IMAGE))  # raises InvalidGenome for impossible shapes
        if cost.params > MAX_PARAMS:
            raise InvalidGenome(f"{cost.params:,} parameters, over the limit of {MAX_PARAMS:,}")
        expected, final, per_image = self.predictions(genes, budget)
        below_top = math.log(TOP_BUDGET / budget) / math.log(TOP_BUDGET / LADDER[0])  # 0 at the top, 1 at the lowest
        sigma = NOISE * (1 / 3 + 2 / 3 * min(1.0, below_top))
        error = expected * math.exp(np.random.default_rng([seed, budget]).normal(0.0, sigma))
        return Outcome(error, expected, final - self.best_known, per_image * (budget - start), cost.params)

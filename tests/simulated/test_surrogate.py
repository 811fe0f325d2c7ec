"""The surrogate of our conv-autoencoder search: what it reads from journals, how well it predicts genomes
it has not seen (fitted on the committed reference journals), and searches over it."""

import json
from pathlib import Path

import numpy as np
import pytest

from archsearch import run_task
from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.core.errors import InvalidGenome
from archsearch.simulated.surrogate import Surrogate, held_out_error, read_examples
from archsearch.simulated.task import NO_DATA, SimulatedSettings, SimulatedTask

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference"


def event(index, budget, fitness, genome, continued_from=None, status="ok"):
    return {"index": index, "budget": budget, "continued_from": continued_from, "cached_from": None,
            "genome": genome.to_dict(),
            "result": {"status": status, "fitness": fitness, "train_seconds": 3.0, "seconds": 4.0}}


def test_examples_are_the_successful_evaluations_of_conv_autoencoder_runs_with_where_each_started(tmp_path):
    genome = Genome(encoder=(LayerGene("conv", 16, 3, 2, "relu"),), latent_size=16)
    for name, space in (("ours", "conv_autoencoder"), ("other", "dense_autoencoder")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps({"space": space}))
        lines = [event(0, 6016, 0.03, genome), {"issued": {"index": 1}}, event(1, 18048, 0.02, genome, 0),
                 event(2, 6016, 1e9, genome, status="invalid")]
        (tmp_path / name / "journal.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    examples = read_examples(sorted(tmp_path.rglob("journal.jsonl")))
    assert [(e.start, e.budget, e.fitness) for e in examples] == [(0, 6016, 0.03), (6016, 18048, 0.02)]
    assert examples[0].genome == genome


@pytest.mark.slow
def test_fitted_on_the_reference_journals_it_ranks_unseen_genomes_and_searches_repeat(tmp_path):
    examples = read_examples(sorted(REFERENCE.rglob("journal.jsonl")))
    assert len(examples) > 3000
    accuracy = held_out_error(examples, folds=3)
    rank_correlations = [v for k, v in accuracy.items() if k.startswith("Spearman")]
    assert len(rank_correlations) == 4 and min(rank_correlations) > 0.75
    assert accuracy["median relative error of MSE"] < 0.2

    benchmark = Surrogate(REFERENCE, latent=16, reference_samples=200)
    wide = Genome(encoder=(LayerGene("dense", units=256, activation="relu"),) * 3, latent_size=16)
    unstrided = Genome(encoder=(LayerGene("conv", 48, 3, 1, "relu"),), latent_size=16)  # 1.2M parameters
    with pytest.raises(InvalidGenome, match="over the limit of 1,000,000"):  # as the builder says
        benchmark.outcome(unstrided, 6016, 0, 0)
    assert benchmark.outcome(wide, 6016, 0, 0).error > benchmark.outcome(wide, 162_048, 0, 0).error
    task = SimulatedTask(benchmark)
    settings = SimulatedSettings(strategy="ga", seed=2, seconds=600.0)
    best = run_task(task, settings, tmp_path / "a", dataset=NO_DATA)
    assert best.budget == 162_048 and best.genome.latent_size == 16
    assert best.result.metrics["regret"] < benchmark.outcome(benchmark.space.default, 162_048, 0, 0).regret
    again = run_task(task, settings, tmp_path / "b", dataset=NO_DATA)
    assert (tmp_path / "a" / "journal.jsonl").read_text().count("\n") > 50
    assert again.genome == best.genome and again.index == best.index
    assert np.isfinite(best.result.fitness)

"""A new kind of search is one Task: the toy task below runs through `run.runner.run_task` with the journal,
run directory and resume every real task has (no Keras: the toy fitness)."""

import json
from contextlib import nullcontext
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from archsearch.autoencoder.config import SearchConfig
from archsearch.autoencoder.space_file import load_space
from archsearch.autoencoder.task import AUTOENCODER
from archsearch.core.data import Dataset
from archsearch.run.candidates import genome_key
from archsearch.run.run_dir import JOURNAL, task_of
from archsearch.run.runner import run_task


@dataclass(frozen=True)
class ToySettings(SearchConfig):
    task: ClassVar[str] = "toy"


class ToyTask:
    name = "toy"

    def __init__(self, evaluator):
        self.toy, self.finished = evaluator, []

    def check(self, config):
        pass

    def fit(self, config, dataset):
        return config

    def space(self, config, space_file):
        return load_space(space_file)

    def space_document(self, config):
        return None  # the space is a file, copied into the run directory

    def evaluator(self, config, splits, run_dir):
        return nullcontext(self.toy)

    def candidate_key(self, config):
        return genome_key

    def finish(self, config, run_dir, records, dataset, splits, log):
        self.finished.append(len(records))
        return records


def test_a_task_runs_through_the_one_engine_and_resumes(tmp_path, toy_evaluator):
    images = np.random.default_rng(0).random((40, 12, 12, 1), dtype=np.float32)
    dataset = Dataset(images, images[:10], source="synthetic")
    config = ToySettings(population=4, generations=2, train_size=20, val_size=10, fidelity="off", isolate=False)
    task = ToyTask(toy_evaluator)
    records = run_task(task, config, tmp_path / "run", dataset=dataset)
    assert len(records) == 12 and task.finished == [12]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["task"] == "toy" == task_of(tmp_path / "run")
    calls = toy_evaluator.calls
    resumed = run_task(task, config, tmp_path / "run", resume=True, dataset=dataset)
    assert [r.genome.key for r in resumed] == [r.genome.key for r in records] and toy_evaluator.calls == calls
    assert (tmp_path / "run" / JOURNAL).is_file() and AUTOENCODER.name == "autoencoder"

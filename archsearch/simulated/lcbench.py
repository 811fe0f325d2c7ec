"""`lcbench`: the published LCBench surrogate (Zimmer et al. 2021, as packaged by YAHPO Gym, Pfisterer et
al. 2022), a benchmark of funnel-shaped MLPs trained on OpenML datasets for 1 to 52 epochs.

YAHPO's fitted network (an ONNX file) predicts, for seven hyperparameters and an epoch, the validation
accuracy and the seconds training took. We read it from a folder the user gives (a copy of
github.com/slds-lmu/yahpo_data: `lcbench/model.onnx`, `lcbench/encoding.json` and
`global_statistics/instance_target_statistics.csv`) with onnxruntime, from the benchmark extra
(`pip install 'archsearch[benchmark]'`); nothing is downloaded. The model is deterministic, as
published: an evaluation's error is 1 - validation accuracy at its epoch; its regret is the best
validation accuracy YAHPO's 500,000-point random search found on the instance, less the candidate's at
52 epochs (both as a share, so regret can fall below 0). The budget is in epochs.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from archsearch.core.errors import ArchsearchError
from archsearch.core.params import Float, Int
from archsearch.core.space.space import Space
from archsearch.simulated.benchmark import Outcome

TOP_EPOCH = 52
LADDER = (2, 6, 17, 52)  # the rungs with eta 3 (as `run.settings.rungs_of` gives them)
INSTANCE = "189906"  # an OpenML task of LCBench's 34 (YAHPO's default suites use it)
# The model's continuous inputs, in its order (the epoch first); its outputs: time, val_accuracy, ...
INPUTS = ("epoch", "batch_size", "learning_rate", "momentum", "weight_decay", "num_layers", "max_units", "max_dropout")
TIME, VAL_ACCURACY = 0, 1

SPACE = Space({
    "batch_size": Int(16, 512, log=True, default=91),
    "learning_rate": Float(1e-4, 1e-1, log=True, default=0.00316),
    "momentum": Float(0.1, 0.99, default=0.545),
    "weight_decay": Float(1e-5, 1e-1, default=0.05),
    "num_layers": Int(1, 5, default=3),
    "max_units": Int(64, 1024, log=True, default=256),
    "max_dropout": Float(0.0, 1.0, default=0.5),
}, name="lcbench", description="LCBench's MLP hyperparameters (YAHPO Gym's surrogate), budget in epochs")

# (categorical inputs, continuous inputs) -> one row of outputs per input row
Predict = Callable[[np.ndarray, np.ndarray], np.ndarray]


class LCBench:
    """LCBench on one OpenML task as a `simulated.benchmark.Benchmark` (`load_lcbench` reads YAHPO's files)."""

    name = "lcbench"
    space = SPACE
    top_budget = TOP_EPOCH
    budget_unit = "epochs"
    budget_multiple = 1
    fixed_seconds = 1.0

    def __init__(self, predict: Predict, instance_code: int, best_accuracy: float, instance: str = INSTANCE) -> None:
        self.predict, self.instance_code, self.best_accuracy = predict, instance_code, best_accuracy
        self.description = f"LCBench (YAHPO Gym's surrogate) on OpenML task {instance}, 1-{TOP_EPOCH} epochs"
        self._cache: dict[tuple[str, int], tuple[float, float]] = {}

    def predictions(self, genes: Mapping[str, Any], key: str, epoch: int) -> tuple[float, float]:
        """The validation accuracy (a share) and cumulative seconds at `epoch`; the ladder's epochs are
        predicted together on a candidate's first evaluation."""
        if (key, epoch) not in self._cache:
            epochs = sorted({*LADDER, epoch, 0} - {0})
            rows = np.array([[e, *(genes[name] for name in INPUTS[1:])] for e in epochs], "float32")
            out = self.predict(np.full((len(epochs), 1), self.instance_code, "int32"), rows)
            self._cache.update(((key, e), (float(o[VAL_ACCURACY]) / 100, max(0.0, float(o[TIME]))))
                               for e, o in zip(epochs, out))
        return self._cache[(key, epoch)]

    def outcome(self, genes: Any, budget: int, start: int, seed: int) -> Outcome:
        key = genes.key
        accuracy, seconds = self.predictions(genes, key, budget)
        before = self.predictions(genes, key, start)[1] if start else 0.0
        final = self.predictions(genes, key, TOP_EPOCH)[0]
        return Outcome(1 - accuracy, 1 - accuracy, self.best_accuracy - final, max(0.0, seconds - before),
                       int(genes["num_layers"]))


def load_lcbench(folder: str | Path, instance: str = INSTANCE) -> LCBench:
    """LCBench on OpenML task `instance`, from a copy of YAHPO's data in `folder`."""
    folder = Path(folder)
    model, encoding = folder / "lcbench" / "model.onnx", folder / "lcbench" / "encoding.json"
    statistics = folder / "global_statistics" / "instance_target_statistics.csv"
    for path in (model, encoding, statistics):
        if not path.is_file():
            raise ArchsearchError(f"{path}: not found (a copy of github.com/slds-lmu/yahpo_data holds it)")
    try:
        import onnxruntime
    except ImportError:
        raise ArchsearchError("lcbench needs onnxruntime: pip install 'archsearch[benchmark]'") from None
    codes = json.loads(encoding.read_text())["OpenML_task_id"]
    best = [float(row["value"]) for row in csv.DictReader(statistics.open())
            if (row["scenario"], row["instance"], row["metric"], row["statistic"])
            == ("lcbench", instance, "val_accuracy", "max")]
    if instance not in codes or not best:
        raise ArchsearchError(f"lcbench: no OpenML task {instance} (known: {', '.join(sorted(codes))})")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    categorical, continuous = (i.name for i in session.get_inputs())
    output = session.get_outputs()[0].name

    def predict(x_cat: np.ndarray, x_cont: np.ndarray) -> np.ndarray:
        return session.run([output], {categorical: x_cat, continuous: x_cont})[0]

    return LCBench(predict, codes[instance], best[0] / 100, instance)

"""What a fixed classifier candidate reaches, and how fast it trains: the evidence behind the classifier's
default candidate and top rung (issue 32: at least 92.0% test accuracy within 5 minutes on 2 cores, on the
slower machine too).

Each variant is the classifier space's default candidate with some values changed, trained on Fashion-MNIST's
first 58,000 training images exactly as a run trains it (the task's build, the evaluator's compile with the
cosine decay over the budget, the shared stream), then scored on the 10,000 test images. Images per second
include graph tracing; run it under the slower machine's stand-in (`TF_ENABLE_ONEDNN_OPTS=0`, a CPU quota) for
that machine's speed.

    python benchmarks/classifier_candidates.py default:348000 textbook:290000 strided:464000
"""

from __future__ import annotations

import argparse
import json
import os
import time

CONV = {"kind": "conv", "kernel": 3, "stride": 1}
POOL = {"kind": "pool"}
TEXTBOOK = [{**CONV, "filters": 32}, POOL, {**CONV, "filters": 64}, POOL]  # the default before issue 32's end
VARIANTS = {  # name: the values that differ from the space's default candidate
    "default": {},  # conv 32, pool, conv 64 with stride 2, dense 128; Adam at 6e-3
    "lr4e-3": {"learning_rate": 4e-3},
    "textbook": {"features": TEXTBOOK},
    "textbook-lr2e-3": {"features": TEXTBOOK, "learning_rate": 2e-3},
    "textbook-lr4e-3": {"features": TEXTBOOK, "learning_rate": 4e-3},
    "textbook-batch64": {"features": TEXTBOOK, "batch_size": 64, "learning_rate": 1.4e-3},
    "textbook-batch256": {"features": TEXTBOOK, "batch_size": 256, "learning_rate": 2e-3},
    "small": {"features": [{**CONV, "filters": 16}, POOL, {**CONV, "filters": 32}, POOL], "learning_rate": 2e-3},
    "half": {"features": [{**CONV, "filters": 32}, POOL, {**CONV, "filters": 32}, POOL], "learning_rate": 2e-3},
    "batchnorm": {"features": [{**CONV, "filters": 32}, {"kind": "batchnorm"}, POOL,
                               {**CONV, "filters": 64}, {"kind": "batchnorm"}, POOL], "learning_rate": 2e-3},
    "strided": {"features": [{**CONV, "filters": 32, "kernel": 5, "stride": 2},
                             {**CONV, "filters": 64, "stride": 2}], "learning_rate": 4e-3},
}


def run(name: str, budget: int) -> dict:
    from archsearch.classifier.task import space, task
    from archsearch.core.data import load_dataset
    from archsearch.core.fidelity import Fidelity
    from archsearch.tasks.evaluator import compile_model, scores
    from archsearch.tasks.keras_task import targets_of
    from archsearch.training.budgeted import fit_stream

    data = load_dataset()
    x, y = data.x_train[:58_000], data.y_train[:58_000]
    params = space.from_values({**space.default.plain, **VARIANTS[name]})
    model = task.make_model(params, x.shape[1:], targets_of(y, data.y_test))
    compile_model(task, model, params, budget)
    started = time.perf_counter()
    fit_stream(model, x, y, task.training(params).batch_size, Fidelity(budget=budget, schedule_budget=budget), 0)
    seconds = time.perf_counter() - started
    accuracy = scores(model, data.x_test, data.y_test, "test_")["test_accuracy"]
    return {"variant": name, "images": budget, "passes": round(budget / len(x), 1), "seconds": round(seconds, 1),
            "images/s": round(budget / seconds), "test accuracy": round(accuracy, 4), "params": model.count_params(),
            "oneDNN": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help=f"VARIANT:IMAGES, variants: {', '.join(VARIANTS)}")
    for item in parser.parse_args().runs:
        name, _, budget = item.partition(":")
        if name not in VARIANTS or not budget.isdigit():
            raise SystemExit(f"{item}: expected VARIANT:IMAGES with a variant among {', '.join(VARIANTS)}")
        print(json.dumps(run(name, int(budget))), flush=True)


if __name__ == "__main__":
    main()

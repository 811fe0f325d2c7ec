"""Do archsearch and its Keras Tuner peer train one genome alike? (issue 33, seventh session)

On the slower machine both searches returned the space's default genes on most seeds, and the peer's run of
them scored 0.4-2.7% worse on test than ours. This probe asks whether that is the training loop or chance:
on the terms of a comparison's run (`RUN_DIR`, e.g. `runs/ga-seed0`: its data split, ladder and schedule),
the default genes are trained to the top budget in one go, by archsearch's evaluator (as a search trains its
first candidate) and by the peer's build and `fit` (`autoencoder_vs_keras_tuner.peer_model`, `peer_fit`),
each from several initialisations, and the validation and test MSE of each printed.

    python benchmarks/peer_training_probe.py RUN_DIR [--inits 0,1,2] [--which ours,peer]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from autoencoder_vs_keras_tuner import our_run, peer_fit, peer_model  # noqa: E402


def ours(run_dir: Path, init: int) -> tuple[float, float]:
    """The default genes trained by archsearch's evaluator to the top budget, seeded `init` after the run's own
    training seed of them (init 0: the run's own training)."""
    from archsearch.autoencoder.inner_loops import make_evaluator
    from archsearch.core.fidelity import Fidelity
    from archsearch.run.candidates import candidate_seed

    config, space, splits = our_run(run_dir)
    top = config.rungs.budgets[-1]
    result = make_evaluator(config, splits, score_test=True).evaluate(
        space.default, candidate_seed(config.seed, space.default) + init, (), Fidelity(top, top))
    return result.fitness, result.metrics["test_mse"]


def peer(run_dir: Path, init: int) -> tuple[float, float]:
    """The default genes trained by the peer's build and fit for the top budget's epochs, seeded `init` after
    our evaluator's seed of them (init 0: as the peer's first trial and ours)."""
    from archsearch.training.keras_parts import mean_squared_error

    config, space, splits = our_run(run_dir)
    model = peer_model(space.default, config, splits, init)
    epochs = round(config.rungs.budgets[-1] / config.rungs.budgets[0])
    history = peer_fit(model, space.default, config, splits, epochs=epochs)
    return history.history["val_mse"][-1], mean_squared_error(model, splits.x_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--inits", default="0,1,2", help="initialisations to try (default: 0,1,2)")
    parser.add_argument("--which", default="ours,peer", help="ours, peer or both (default: ours,peer)")
    args = parser.parse_args()
    from machine import describe

    print(describe(), flush=True)
    for which in args.which.split(","):
        for init in (int(i) for i in args.inits.split(",")):
            started = time.perf_counter()
            val, test = {"ours": ours, "peer": peer}[which](args.run_dir, init)
            seconds = time.perf_counter() - started
            print(f"{which} init {init}: val MSE {val:.5f}, test MSE {test:.5f} ({seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    main()

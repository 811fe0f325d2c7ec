"""Every strategy on a space built from specs and on the conv autoencoder's own space, with the test
suite's toy fitness (milliseconds an evaluation, known optimum 0): the median best fitness over seeds.

    python benchmarks/strategies_on_specs.py [--seeds 7] [--evaluations 200] [--population 8]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import ToyEvaluator, spec_space  # noqa: E402  (the tests' toy fitness and spec space)

from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.autoencoder.space_file import load_space  # noqa: E402
from archsearch.run.engine import AsyncEngine  # noqa: E402
from archsearch.strategies import STRATEGIES, make_strategy  # noqa: E402


def median_best(name: str, space, seeds: int, evaluations: int, population: int, **options) -> float:
    bests = []
    for seed in range(seeds):
        strategy = make_strategy(name, space, np.random.default_rng(seed), population=population, **options)
        records = AsyncEngine(strategy, ToyEvaluator(), seed).run(evaluations)
        bests.append(min(r.result.fitness for r in records))
    return float(np.median(bests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=7)
    parser.add_argument("--evaluations", type=int, default=200)
    parser.add_argument("--population", type=int, default=8)
    args = parser.parse_args()
    spaces = {"specs (tests/conftest.py)": spec_space(), "conv_autoencoder": load_space("conv_autoencoder")}
    rows = [{"strategy": name, **{label: round(median_best(name, space, args.seeds, args.evaluations,
                                                           args.population), 3)
                                  for label, space in spaces.items()}} for name in sorted(STRATEGIES)]
    for rate in (0.9, 0.5):
        rows.append({"strategy": f"de, crossover rate {rate}", **{
            label: round(median_best("de", space, args.seeds, args.evaluations, args.population,
                                     crossover_rate=rate), 3) for label, space in spaces.items()}})
    print(f"median best toy fitness over {args.seeds} seeds, {args.evaluations} evaluations, "
          f"population {args.population} (0 is the optimum)")
    print(markdown_table(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()

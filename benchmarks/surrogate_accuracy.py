"""How well the `surrogate` benchmark predicts genomes it has not seen (issue 33): fitted on the journaled
evaluations of our conv-autoencoder runs under --results, scored by 5-fold cross-validation that keeps each
genome's evaluations in one fold. Reports the Spearman correlation of predicted and measured validation
MSE at each budget, and the median relative error of MSE and of seconds.

    python benchmarks/surrogate_accuracy.py [--results results/reference]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from archsearch.simulated.surrogate import held_out_error, read_examples  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPOSITORY / "results" / "reference")
    args = parser.parse_args()
    started = time.perf_counter()
    examples = read_examples(sorted(args.results.rglob("journal.jsonl")))
    print(f"{len(examples):,} evaluations from {len({e.run for e in examples})} runs under {args.results}")
    for name, value in held_out_error(examples).items():
        print(f"- {name}: {value:,.3f}" if value < 100 else f"- {name}: {value:,.0f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

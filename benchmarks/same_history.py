"""Same seed, same history: a check for changes that must not change behaviour (issue 16's move into
capability folders, and any refactor after it).

`run` makes one small run of every kind with one worker (the default search cut to 8 candidates, NSGA-II
on a latent objective, a tiny multi-fidelity run, weight evolution as the inner loop, a transfer search
on the committed reference backbone, a three-strategy comparison, `evolve-weights`) into a folder, from
whatever archsearch `python -m archsearch` imports. `compare` sets two such folders side by side: every
journal event, `evaluations.csv` and `metrics.json`, clocks left out, must be equal. `reference` matches a
run's evaluations with a committed reference journal's by (genome, budget): their fitness must agree.

    git worktree add /tmp/before <commit>   # the code before the change
    (cd /tmp/before && PYTHONPATH=/tmp/before python benchmarks/same_history.py run /tmp/h_before)
    python benchmarks/same_history.py run /tmp/h_after
    python benchmarks/same_history.py compare /tmp/h_before /tmp/h_after
    python benchmarks/same_history.py reference results/reference/transfer_learning/runs/autoencoder \
        /tmp/h_after/default
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"
ONE_WORKER = ["--workers", "1"]
RUNS = {
    "default": ["search", "--budget", "8"],
    "probe": ["search", "--strategy", "nsga2", "--objectives", "linear_probe_accuracy", "--budget", "6"],
    "dashboard": ["search", "--population", "4", "--generations", "2", "--min-budget", "384", "--max-budget", "3456",
                  "--val-size", "500"],
    "weights": ["search", "--inner", "weights", "--fidelity", "off", "--budget", "3", "--population", "3",
                "--train-size", "500", "--val-size", "200", "--final-weight-generations", "20"],
    "transfer": ["transfer", "--backbone", str(REFERENCE / "transfer_learning" / "runs" / "autoencoder" / "best"),
                 "--budget", "4", "--no-baselines"],
    "compare": ["compare", "--seeds", "1", "--budget", "6", "--population", "4", "--train-size", "500", "--epochs", "1",
                "--strategies", "random,de,optuna-tpe"],
}
EVOLVE = ["evolve-weights", "--generations", "3", "--population", "8", "--samples", "300", "--val-size", "100",
          "--test-size", "100"]
CLOCKS = {"finished_at", "at"}  # and every key with "seconds" in it


def run_all(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    commands = {name: [*args, *ONE_WORKER, "--out", str(out / name)] for name, args in RUNS.items()}
    commands["evolve"] = [*EVOLVE, "--out", str(out / "evolve")]
    for name, args in commands.items():
        start = time.perf_counter()
        with open(out / f"{name}.log", "w") as log:
            code = subprocess.run([sys.executable, "-m", "archsearch", *args], stdout=log,
                                  stderr=subprocess.STDOUT).returncode
        print(f"{name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)


def without_clocks(value):
    if isinstance(value, dict):
        return {k: without_clocks(v) for k, v in value.items() if k not in CLOCKS and "seconds" not in k}
    if isinstance(value, list):
        return [without_clocks(v) for v in value]
    return value


def events(path: Path) -> list:
    return [without_clocks(json.loads(line)) for line in path.read_text().splitlines()]


def compare(first: Path, second: Path) -> int:
    """Prints one line per file compared; returns how many differ."""
    differ = 0
    for path in sorted(first.rglob("journal.jsonl")):
        other = second / path.relative_to(first)
        mine, theirs = events(path), events(other) if other.exists() else []
        same = mine == theirs
        differ += not same
        print(f"{path.relative_to(first)}: {len(mine)} events ({sum('result' in e for e in mine)} evaluations), "
              f"{'same' if same else 'DIFFERENT'}")
    for path in sorted(first.rglob("*.csv")):
        other = second / path.relative_to(first)
        a, b = pd.read_csv(path), pd.read_csv(other) if other.exists() else pd.DataFrame()
        kept = [c for c in a.columns if "seconds" not in c and c not in CLOCKS]
        same = list(a.columns) == list(b.columns) and a[kept].equals(b[kept])
        differ += not same
        print(f"{path.relative_to(first)}: {len(a)} rows, {len(kept)} columns compared, "
              f"{'same' if same else 'DIFFERENT'}")
    for path in sorted(first.rglob("metrics.json")) + sorted(first.rglob("summary.json")):
        other = second / path.relative_to(first)
        same = other.exists() and (without_clocks(json.loads(path.read_text()))
                                   == without_clocks(json.loads(other.read_text())))
        differ += not same
        print(f"{path.relative_to(first)}: {'same' if same else 'DIFFERENT'}")
    return differ


def by_candidate(journal: Path) -> dict[tuple[str, int | None], tuple[str, float]]:
    found = {}
    for event in map(json.loads, journal.read_text().splitlines()):
        if "result" in event and event.get("cached_from") is None:
            result = event["result"]
            found.setdefault((event["genome_key"], event.get("budget")), (result["status"], result["fitness"]))
    return found


def against_reference(reference: Path, run: Path) -> int:
    ours, theirs = by_candidate(run / "journal.jsonl"), by_candidate(reference / "journal.jsonl")
    common = [key for key in ours if key in theirs]
    agree = sum(ours[key] == theirs[key] for key in common)
    print(f"{run}: {len(common)} of its {len(ours)} evaluations are in {reference}'s journal; {agree} agree on "
          "status and fitness")
    return len(common) - agree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run").add_argument("out", type=Path)
    both = commands.add_parser("compare")
    both.add_argument("first", type=Path)
    both.add_argument("second", type=Path)
    ref = commands.add_parser("reference")
    ref.add_argument("reference", type=Path)
    ref.add_argument("run", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run_all(args.out)
        return 0
    if args.command == "compare":
        return 1 if compare(args.first, args.second) else 0
    return 1 if against_reference(args.reference, args.run) else 0


if __name__ == "__main__":
    sys.exit(main())

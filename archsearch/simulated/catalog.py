"""The simulated benchmarks by name, as `archsearch compare --task NAME` takes them: `layered`,
`surrogate` (fitted on the journals under --data-dir, results/reference by default; `surrogate:N` at a
code size of N, 16 by default, `surrogate:free` with the code size searched) and `lcbench` (YAHPO's
model in --data-dir, a copy of github.com/slds-lmu/yahpo_data; `lcbench:TASK` on another OpenML task)."""

from __future__ import annotations

from pathlib import Path

from archsearch.core.errors import ArchsearchError
from archsearch.simulated.benchmark import Benchmark

BENCHMARKS = ("layered", "surrogate", "lcbench")
SURROGATE_LATENT = 16  # comparisons at a fixed code size: a larger code always reconstructs better
SURROGATE_JOURNALS = Path("results") / "reference"


def is_benchmark(name: str | None) -> bool:
    return name is not None and name.split(":")[0] in BENCHMARKS


def load_benchmark(name: str, data_dir: str | None = None) -> Benchmark:
    """The benchmark `name` names (one-line errors for what it lacks)."""
    kind, _, option = name.partition(":")
    if kind == "layered":
        from archsearch.simulated.layered import Layered

        return Layered()
    if kind == "surrogate":
        from archsearch.simulated.surrogate import Surrogate

        if option and option != "free" and not option.isdigit():
            raise ArchsearchError(f"--task {name}: the code size must be a number or 'free'")
        latent = None if option == "free" else int(option or SURROGATE_LATENT)
        return Surrogate(Path(data_dir) if data_dir else SURROGATE_JOURNALS, latent=latent)
    from archsearch.simulated.lcbench import INSTANCE, load_lcbench

    if not data_dir:
        raise ArchsearchError(f"--task {name}: needs --data-dir, a copy of github.com/slds-lmu/yahpo_data")
    return load_lcbench(data_dir, option or INSTANCE)

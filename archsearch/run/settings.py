"""What the settings of every kind of run share (`RunSettings`), and their checks.

Saved as `config.json` in the run directory; `--resume` reads it back and refuses settings that would
change the history (seed, space, strategy, population, data, training). More generations are allowed:
a resumed run may go further than it was first asked to. Each task's settings (`autoencoder.config`,
`transfer.config`) add their own fields.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from archsearch.core.errors import ArchsearchError, ResumeError
from archsearch.core.objectives import DEFAULT_OBJECTIVES, Objective, parse_objectives
from archsearch.core.rungs import Rungs
from archsearch.strategies import STRATEGIES

UNBOUNDED = 10**9  # candidates of a time-boxed run without a budget: the clock ends it

EXECUTORS = ("local", "dask")


def read_settings(path: Path) -> dict[str, Any]:
    """The settings a run directory's `config.json` holds; a file that cannot be read, or is not a JSON
    object, is one line naming it."""
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResumeError(f"{path}: not a readable settings file ({exc})") from None
    if not isinstance(settings, dict):
        raise ResumeError(f"{path}: not a settings file (a JSON object of settings)")
    return settings


class RunSettings:
    """What the settings of every kind of run share: a JSON file in the run directory, and the check
    that a resumed run changes nothing its record depends on (`resumable_changes` may change)."""

    resumable_changes: ClassVar[frozenset[str]] = frozenset()
    task: ClassVar[str] = "autoencoder"  # the kind of search (`run.task`), written into config.json
    fitness_name: ClassVar[str] = "val_mse"  # what the run's fitness is, for tables and plots
    fitness_label: ClassVar[str] = "val MSE"  # the same in words (Optuna's metric name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"task": self.task, **self.to_dict()}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path):
        return cls.from_dict(read_settings(path))

    def check_resumable(self, recorded: "RunSettings", source: Path) -> None:
        for name in sorted(self.to_dict()):
            if name in self.resumable_changes:
                continue
            if getattr(self, name) != getattr(recorded, name):
                raise ResumeError(
                    f"{source}: {name} was {getattr(recorded, name)!r} in this run, not "
                    f"{getattr(self, name)!r}; resume with the same {name} or choose a new --out")

    def with_overrides(self, **changes: Any):
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def rungs(self) -> Rungs | None:
        """The rungs of a multi-fidelity run; None: each candidate is trained once."""
        return None

    @property
    def seconds(self) -> float | None:
        """The run's time box (seconds of searching), or None: it ends when its candidates are done."""
        return None

    @property
    def time_box(self) -> float | None:
        """When the run stops starting jobs: its time box, else its time limit, else never."""
        return self.seconds if self.seconds is not None else (getattr(self, "time_limit", None) or None)

    @property
    def evaluations(self) -> int:
        """How many candidates the run starts: the budget, else unbounded under a time box, else
        population x (generations + 1)."""
        if self.budget is not None:
            return self.budget
        return UNBOUNDED if self.seconds is not None else self.population * (self.generations + 1)

    @property
    def expected_evaluations(self) -> int:
        """Evaluations the run will make (a progress bar's total): with fidelities, about 1/eta of each
        rung's candidates move up."""
        rungs = self.rungs
        if rungs is None:
            return self.evaluations
        return round(self.evaluations * sum(rungs.eta ** -k for k in range(len(rungs.budgets))))

    @property
    def other_objectives(self) -> tuple[Objective, ...]:
        """What a multi-objective strategy minimises beside the fitness: the settings' `objectives`
        where they have them (an autoencoder search), else the model's size."""
        return parse_objectives(getattr(self, "objectives", DEFAULT_OBJECTIVES))


# off: each candidate trains `epochs` epochs, the winner is retrained; asha: rungs and promotion; full: every
# candidate trains to the top budget in one go (the regime of asha's top rung, without its cheaper rungs).
FIDELITIES = ("off", "asha", "full")
MULTI_FIDELITY = ("asha", "full")  # budgets of images seen on a stream, checkpoints, the winner handed over as is
BUDGET_MULTIPLE = 128  # rung budgets split no batch of the spaces' batch sizes, so continuing is exact


def rungs_of(fidelity: str | None, min_budget: int | None, max_budget: int | None, eta: int,
             multiple: int = BUDGET_MULTIPLE) -> Rungs | None:
    """The rungs of a run's fidelity settings (None: no rungs, or the top budget not fitted yet); the
    lowest rung defaults to max_budget / eta**3, every budget a multiple of `multiple`."""
    if fidelity not in MULTI_FIDELITY or max_budget is None:
        return None
    lowest = max_budget if fidelity == "full" else min_budget or max(1, max_budget // eta ** 3)
    return Rungs(lowest, max_budget, eta, multiple=multiple)


def check_executor(config: RunSettings) -> None:
    """One-line errors for an unknown executor, a scheduler without Dask, Dask with --in-process."""
    if config.executor not in EXECUTORS:
        raise ArchsearchError(f"--executor {config.executor}: unknown (known: {', '.join(EXECUTORS)})")
    if config.scheduler and config.executor != "dask":
        raise ArchsearchError(f"--scheduler {config.scheduler}: only with --executor dask")
    if config.executor == "dask" and not config.isolate:
        raise ArchsearchError("--executor dask: not with --in-process (Dask runs candidates in its workers)")


def check_fidelity_values(config: RunSettings) -> None:
    """One-line errors for an unknown fidelity or a lowest rung above the top one."""
    if config.fidelity is not None and config.fidelity not in FIDELITIES:
        raise ArchsearchError(f"--fidelity {config.fidelity}: unknown (known: {', '.join(FIDELITIES)})")
    check_budgets(config.min_budget, config.max_budget)


def check_budgets(min_budget: int | None, max_budget: int | None, fitted: bool = False) -> None:
    """One-line error for a lowest rung above the top one (`fitted`: the top was fitted to the data)."""
    if min_budget and max_budget and min_budget > max_budget:
        top = f"the top budget fitted to the data, {max_budget:,}" if fitted else f"--max-budget {max_budget}"
        raise ArchsearchError(f"--min-budget {min_budget}: above {top}")


def check_counts_and_strategy(config: RunSettings, minimums: dict[str, int]) -> None:
    """One-line errors, naming the flag, for a count below its minimum, a budget below 1, an unknown
    strategy or a population too small for it."""
    for name, least in minimums.items():
        value = getattr(config, name)
        if value is not None and value < least:
            raise ArchsearchError(f"--{name.replace('_', '-')} {value}: must be at least {least}")
    if config.budget is not None and config.budget < 1:
        raise ArchsearchError(f"--budget {config.budget}: must be at least 1")
    if config.strategy not in STRATEGIES:
        raise ArchsearchError(f"--strategy {config.strategy}: unknown (known: {', '.join(sorted(STRATEGIES))})")
    least = STRATEGIES[config.strategy].min_population
    if config.population < least:
        raise ArchsearchError(f"--population {config.population}: {config.strategy} needs at least {least}")

"""What the settings of every kind of run share (`RunSettings`), and their checks.

Saved as `config.json` in the run directory; `--resume` reads it back and refuses settings that would
change the history (seed, space, strategy, population, data, training). More generations are allowed:
a resumed run may go further than it was first asked to. Each task's settings (`autoencoder.config`,
`transfer.config`) add their own fields.
"""

from __future__ import annotations

import json
import types
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

from archsearch.core.errors import ArchsearchError, ResumeError
from archsearch.core.objectives import DEFAULT_OBJECTIVES, Objective, parse_objectives
from archsearch.core.rungs import Rungs
from archsearch.strategies import STRATEGIES

INNER_LOOPS = ("backprop", "weights")  # how candidates' weights are trained (`RunSettings.inner`)
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


def setting(default: Any = None, *, minimum: int | None = None, resumable: bool = False, factory: Any = None) -> Any:
    """A settings field: its default, the smallest value a count may take (checked with a one-line error
    naming its flag), and whether a resumed run may change it without changing what was recorded."""
    metadata = {"minimum": minimum, "resumable": resumable}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def shared_setting(name: str, default: Any) -> Any:
    """A shared field (`RunSettings.name`) with another default for one task, its minimum and
    resumability kept."""
    metadata = RunSettings.__dataclass_fields__[name].metadata
    return setting(default, minimum=metadata["minimum"], resumable=metadata["resumable"])


@dataclass(frozen=True)
class RunSettings:
    """What the settings of every kind of run share: the fields below, a JSON file in the run directory
    (`config.json`), and the check that a resumed run changes nothing its record depends on. Each task's
    settings add their own fields (`autoencoder.config.SearchConfig`, `transfer.config.TransferConfig`)."""

    task: ClassVar[str] = "autoencoder"  # the kind of search (`run.task`), written into config.json
    fitness_name: ClassVar[str] = "val_mse"  # what the run's fitness is, for tables and plots
    fitness_label: ClassVar[str] = "val MSE"  # the same in words (Optuna's metric name)

    space: str = ""  # a built-in space's name or a .toml path (each task has its default)
    strategy: str = "ga"
    population: int = setting(8, minimum=2)
    generations: int = setting(5, minimum=0, resumable=True)
    # Exactly this many evaluations instead of population x (generations + 1): equal budgets for
    # strategies whose batches differ (see `archsearch compare`).
    budget: int | None = setting(None, minimum=1, resumable=True)
    seed: int = 0
    # Each candidate trains on `train_size` images and is scored on `val_size` others (None: fitted to
    # the data by the task).
    train_size: int | None = setting(None, minimum=1)
    val_size: int | None = setting(None, minimum=1)
    # Multi-fidelity: "asha" trains each candidate in rungs of budgets (max_budget, max_budget / eta, ...
    # down to min_budget), each continuing from the last one's checkpoint, the top 1/eta of a rung moving
    # up as soon as it qualifies; "full" trains every candidate to max_budget in one go; "off" trains
    # `epochs` epochs (early stopping after `patience`) and retrains the winner. None: the task's choice.
    fidelity: str | None = None
    min_budget: int | None = setting(None, minimum=1)
    max_budget: int | None = setting(None, minimum=1)
    eta: int = setting(3, minimum=2)
    epochs: int = setting(3, minimum=1)
    patience: int = setting(1, minimum=1)
    max_params: int = setting(1_000_000, minimum=1)  # larger candidates are invalid
    data_dir: str | None = None
    data_file: str | None = None
    # The winner is retrained on more images for longer (without fidelities), then scored once on the test set.
    final_train_size: int = setting(10000, minimum=1, resumable=True)
    final_epochs: int = setting(8, minimum=1, resumable=True)
    test_size: int | None = setting(None, resumable=True)
    top_k: int = setting(5, resumable=True)
    # Train candidates in single-threaded worker processes, each replaced every `recycle_after`
    # evaluations (flat memory, crash isolation, every core busy). `workers` 0 means one per core; the
    # history is the same for any number of workers. `isolate = False` trains in this process instead
    # (TensorFlow's own threading: fitness values differ in the last digits, so the history may too, and a
    # resumed run may not change it).
    isolate: bool = True
    workers: int = setting(0, minimum=0, resumable=True)
    recycle_after: int = setting(20, minimum=1, resumable=True)
    # How a candidate's weights are trained: "backprop" (the task's training settings and genes) or
    # "weights": evolved without gradients by `weight_strategy`, `weight_generations` generations of
    # `weight_population` weight vectors, each generation scored on `weight_batch` training images (0: all);
    # the winner for `final_weight_generations`.
    inner: str = "backprop"
    weight_strategy: str = "snes"
    weight_population: int = setting(32, minimum=2)
    weight_generations: int = setting(100, minimum=1)
    weight_batch: int = setting(256, minimum=0)
    weight_options: dict[str, Any] = setting(factory=dict)  # the weight strategy's own settings
    final_weight_generations: int = setting(1000, minimum=1, resumable=True)
    # Where the worker processes run: "local" (archsearch's own pool) or "dask" (a Dask cluster: the one
    # whose scheduler is at `scheduler`, tcp://HOST:PORT, or else a LocalCluster of `workers` processes).
    executor: str = setting("local", resumable=True)
    scheduler: str | None = setting(None, resumable=True)
    # A time box: no job starts after this many seconds of searching, and the run ends there (as `compare
    # --seconds` gives each run); None: the run ends when its candidates are done.
    seconds: float | None = setting(None, resumable=True)
    # A limit for runs without a time box: no job starts after this many seconds of searching even if
    # candidates remain (a slow machine, or a search drifting to large models), nor one that would end
    # after it. When it binds, the history depends on the clock, not on the seed alone (the summary says
    # so). None or 0: no limit.
    time_limit: float | None = setting(None, minimum=0, resumable=True)
    # What the time box and the time limit count: "wall" seconds, or "predicted" ones: each job costs the
    # seconds the task's cost model predicts from the candidate and its budgets, and the engine takes
    # results in the order of their predicted finish (`run.predicted`), so the history is the same on any
    # machine, idle or loaded, with any number of workers. `wall_limit` real seconds then stay a safety
    # net (when it binds, the history depends on the machine again).
    clock: str = "wall"
    wall_limit: float | None = setting(None, minimum=0, resumable=True)
    # A warm start: the best genomes of this earlier run directory of the same task are the first candidates
    # (trained again) and, beside the space's default genes, the centres of the prior.
    warm_start: str | None = None
    # The share of fresh candidates drawn near the starting points or the default genes instead of uniformly
    # (a prior over genes, as PriorBand samples one); None: the strategy's own (`Strategy.default_prior`).
    prior: float | None = None
    # Also write every evaluation as a trial of an Optuna study (study name: the run directory), with
    # its lineage, for optuna-dashboard: any SQLAlchemy URL, e.g. sqlite:///archsearch.db.
    optuna_storage: str | None = setting(None, resumable=True)

    @classmethod
    def resumable_changes(cls) -> frozenset[str]:
        """The settings a resumed run may change without changing what was already recorded."""
        return frozenset(f.name for f in fields(cls) if f.metadata.get("resumable"))

    @classmethod
    def minimums(cls) -> dict[str, int]:
        """The smallest value each count may take."""
        return {f.name: f.metadata["minimum"] for f in fields(cls) if f.metadata.get("minimum") is not None}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def recorded(self) -> dict[str, Any]:
        """The settings as a run records them (config.json, the Optuna study): the kind of task first."""
        return {"task": self.task, **self.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.recorded(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path):
        """The settings a run directory recorded; a value of the wrong type (a hand-edited file) is one
        line naming the file and the setting."""
        settings = read_settings(path)
        hints = get_type_hints(cls)
        for f in fields(cls):
            if f.name in settings and not _is_a(settings[f.name], hints[f.name]):
                raise ResumeError(f"{path}: {f.name} is {settings[f.name]!r}, not {_words(hints[f.name])}")
        return cls.from_dict(settings)

    def check_resumable(self, recorded: "RunSettings", source: Path) -> None:
        for name in sorted(self.to_dict()):
            if name in self.resumable_changes():
                continue
            if getattr(self, name) != getattr(recorded, name):
                raise ResumeError(
                    f"{source}: {name} was {getattr(recorded, name)!r} in this run, not "
                    f"{getattr(self, name)!r}; resume with the same {name} or choose a new --out")

    def with_overrides(self, **changes: Any):
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def rungs(self) -> Rungs | None:
        """The rungs of a multi-fidelity run once its top budget is fitted to the data; None: each
        candidate is trained once."""
        return rungs_of(self.fidelity, self.min_budget, self.max_budget, self.eta)

    @property
    def time_box(self) -> float | None:
        """When the run stops starting jobs (seconds of searching): its time box, else its time limit, else
        never."""
        return self.seconds if self.seconds is not None else (self.time_limit or None)

    @property
    def evaluations(self) -> int:
        """How many candidates the run starts: the budget, else unbounded under a time box, else
        population x (generations + 1)."""
        if self.budget is not None:
            return self.budget
        return UNBOUNDED if self.seconds is not None else self.population * (self.generations + 1)

    @property
    def other_objectives(self) -> tuple[Objective, ...]:
        """What a multi-objective strategy minimises beside the fitness: the model's size, unless the task's
        settings choose (`SearchConfig.objectives`)."""
        return parse_objectives(DEFAULT_OBJECTIVES)


# off: each candidate trains `epochs` epochs, the winner is retrained; asha: rungs and promotion; full: every
# candidate trains to the top budget in one go (the regime of asha's top rung, without its cheaper rungs).
FIDELITIES = ("off", "asha", "full")
CLOCKS = ("wall", "predicted")
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


def top_budget(config: RunSettings, samples_seen: int) -> int:
    """The top rung's budget: as set, else `samples_seen` rounded up to whole batches (checked against the
    lowest rung either way)."""
    top = config.max_budget or max(BUDGET_MULTIPLE, -(-samples_seen // BUDGET_MULTIPLE) * BUDGET_MULTIPLE)
    check_budgets(config.min_budget, top, fitted=config.max_budget is None)
    return top


def check_budgets(min_budget: int | None, max_budget: int | None, fitted: bool = False) -> None:
    """One-line error for a lowest rung above the top one (`fitted`: the top was fitted to the data)."""
    if min_budget and max_budget and min_budget > max_budget:
        top = f"the top budget fitted to the data, {max_budget:,}" if fitted else f"--max-budget {max_budget}"
        raise ArchsearchError(f"--min-budget {min_budget}: above {top}")


def check_run_settings(config: RunSettings) -> None:
    """One-line errors, naming the flag, for the settings every task shares: counts, strategy, executor,
    fidelity."""
    check_counts_and_strategy(config)
    check_executor(config)
    check_fidelity_values(config)
    if config.clock is not None and config.clock not in CLOCKS:  # None: the task chooses (`fit`)
        raise ArchsearchError(f"--clock {config.clock}: unknown (known: {', '.join(CLOCKS)})")
    if config.prior is not None and not 0.0 <= config.prior <= 1.0:
        raise ArchsearchError(f"--prior {config.prior}: must lie between 0 and 1")


def check_counts_and_strategy(config: RunSettings) -> None:
    """One-line errors, naming the flag, for a count below its minimum (`setting(minimum=...)`), an
    unknown strategy or a population too small for it."""
    for name, least in config.minimums().items():
        value = getattr(config, name)
        if value is not None and value < least:
            raise ArchsearchError(f"--{name.replace('_', '-')} {value}: must be at least {least}")
    if config.strategy not in STRATEGIES:
        raise ArchsearchError(f"--strategy {config.strategy}: unknown (known: {', '.join(sorted(STRATEGIES))})")
    least = STRATEGIES[config.strategy].min_population
    if config.population < least:
        raise ArchsearchError(f"--population {config.population}: {config.strategy} needs at least {least}")


def _is_a(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a settings field's type (int for float is fine; bool is not an int)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_is_a(value, option) for option in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    if origin in (list, dict):
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _words(hint: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false", type(None): "null",
             list: "a list", dict: "an object"}
    options = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    return " or ".join(names.get(get_origin(option) or option, str(option)) for option in options)

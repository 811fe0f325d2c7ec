"""A run directory: its files, named once here, and how a run starts or resumes in it.

RUN_DIR/config.json (the settings), space.toml or space.json (the space as it was), journal.jsonl (the record),
checkpoints/ (a multi-fidelity run's models), evaluations.csv, progress.png, worker.log (what training
processes wrote to stderr), weights/ (inherited weights), best/ (the winner), export/ (`archsearch export`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from archsearch.core.errors import ArchsearchError, ResumeError
from archsearch.core.space_files import resolve_space_path
from archsearch.run.settings import RunSettings, read_settings

CONFIG, SPACE, JOURNAL, CHECKPOINTS = "config.json", "space.toml", "journal.jsonl", "checkpoints"
SPACE_JSON = "space.json"  # a space built in Python, as `core.space.document` writes it
EVALUATIONS, PROGRESS, WORKER_LOG = "evaluations.csv", "progress.png", "worker.log"
WEIGHTS, BEST, EXPORT = "weights", "best", "export"


def prepare_run_dir(config: RunSettings, run_dir: Path, resume: bool,
                    space_document: dict[str, Any] | None = None) -> RunSettings:
    """Creates (or, with `resume`, checks) the run directory; returns the config to run with. The space is
    recorded as its file (`config.space`) or, for a space built in Python, as `space_document`; a resumed
    run's must not have changed."""
    journal = run_dir / JOURNAL
    if config.warm_start is not None:
        check_warm_start(config)
    if resume:
        if not (run_dir / CONFIG).is_file():
            raise ResumeError(f"{run_dir}: no run to resume here (no {CONFIG})")
        config.check_resumable(type(config).load(run_dir / CONFIG), run_dir / CONFIG)
        if space_document is not None and _read_json(run_dir / SPACE_JSON) != space_document:
            raise ResumeError(f"{run_dir / SPACE_JSON}: the task's space has changed since this run began; "
                              "resume with the same space or choose a new --out")
    elif journal.exists() and journal.stat().st_size > 0:
        raise ResumeError(f"{run_dir} already holds a run: pass --resume to continue it, or choose another --out")
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        if space_document is None:
            shutil.copyfile(resolve_space_path(config.space), run_dir / SPACE)
        else:
            (run_dir / SPACE_JSON).write_text(json.dumps(space_document, indent=2) + "\n")
    config.save(run_dir / CONFIG)
    return config


def check_warm_start(config: RunSettings) -> None:
    """A one-line error naming --warm-start unless it names a run of the same task as `config` (checked
    before anything runs)."""
    earlier = Path(config.warm_start)
    try:
        require_run_dir(earlier)
    except ArchsearchError as exc:
        raise ArchsearchError(f"--warm-start {exc}") from None
    mine = getattr(config, "task_name", config.task)  # a Keras task by its name, other tasks by their kind
    theirs = read_settings(earlier / CONFIG).get("task_name") or task_of(earlier)
    if theirs != mine:
        raise ArchsearchError(f"--warm-start {earlier}: a run of the {theirs} task, not of {mine}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def task_of(run_dir: Path) -> str:
    """The kind of search a run directory holds (runs written before tasks were named: by their settings)."""
    settings = read_settings(run_dir / CONFIG)
    return settings.get("task") or ("transfer" if "backbone" in settings else RunSettings.task)


def require_run_dir(run_dir: Path) -> Path:
    """`run_dir`, or a one-line `ArchsearchError` where it holds no run (checked before slow imports)."""
    if not (run_dir / CONFIG).is_file() or not (run_dir / JOURNAL).is_file():
        raise ArchsearchError(f"{run_dir}: not a run directory (needs {CONFIG} and {JOURNAL})")
    return run_dir

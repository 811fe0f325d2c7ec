"""Where a task comes from: a Python file or module holding it (`archsearch search --task mine.py`), or an
object made in Python (`archsearch.search(task, ...)`).

A file is loaded under a name of its own (`archsearch_task_<stem>`), so it needs no package and no
`sys.path` entry; its task is the module's `task` attribute, or its only `KerasTask`. The task then
remembers its source, so worker processes, `--resume` and `archsearch export` load the same file again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import cloudpickle

from archsearch.core.errors import ArchsearchError
from archsearch.tasks.keras_task import KerasTask

BUILT_IN_TASKS = {"classifier": "archsearch.classifier.task:task"}  # `--task NAME` for tasks shipped here


def load_task(source: str) -> KerasTask:
    """The task in "path/to/file.py", "path/to/file.py:name" or "package.module:name", or a built-in one by
    name (`BUILT_IN_TASKS`); one line naming the source where there is none."""
    source = BUILT_IN_TASKS.get(source, source)
    where, attribute = split_source(source)
    module = _load_file(Path(where)) if where.endswith(".py") else _import(where, source)
    if attribute:
        task = getattr(module, attribute, None)
        if task is None:
            raise ArchsearchError(f"--task {source}: {where} has no {attribute!r}")
    else:
        task = getattr(module, "task", None)
        if task is None:
            found = [v for v in vars(module).values() if isinstance(v, KerasTask)]
            if len(found) != 1:
                raise ArchsearchError(f"--task {source}: define one KerasTask named `task` "
                                      f"({len(found)} KerasTask objects found)")
            task = found[0]
    if not isinstance(task, KerasTask):
        raise ArchsearchError(f"--task {source}: {attribute or 'task'} is a {type(task).__name__}, not a KerasTask")
    return dataclasses.replace(task, source=_absolute(source, where))


def split_source(source: str) -> tuple[str, str]:
    """("path/to/file.py" or "package.module", the attribute after a colon or "")."""
    drive = len(source) > 2 and source[1] == ":" and source[2] in "/\\"  # C:\\tasks\\mine.py
    head, colon, attribute = source[2 * drive:].rpartition(":") if ":" in source[2 * drive:] else ("", "", "")
    return (source[:2 * drive] + head, attribute) if colon else (source, "")


def source_file(source: str | None) -> str | None:
    """The file a task's source names, if it names one (not a module)."""
    where = split_source(source)[0] if source else ""
    return where if where.endswith(".py") else None


def _absolute(source: str, where: str) -> str:
    if not where.endswith(".py"):
        return source
    return str(Path(where).resolve()) + source[len(where):]


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise ArchsearchError(f"--task {path}: no such file")
    path = path.resolve()
    name = f"archsearch_task_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ArchsearchError:
        del sys.modules[name]
        raise
    except Exception as exc:
        del sys.modules[name]
        raise ArchsearchError(f"--task {path}: failed to load ({type(exc).__name__}: {exc})") from None
    return module


def _import(name: str, source: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ArchsearchError(f"--task {source}: not a .py file or an importable module ({exc})") from None


def task_reference(task: KerasTask) -> tuple[str, Any]:
    """How a task crosses to another process: its source, or the object itself by value."""
    if task.source:
        return ("source", task.source)
    return ("pickled", cloudpickle.dumps(task))


def from_reference(reference: tuple[str, Any]) -> KerasTask:
    kind, value = reference
    return load_task(value) if kind == "source" else cloudpickle.loads(value)

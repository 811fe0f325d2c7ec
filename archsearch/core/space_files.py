"""Space files: commented TOML documents, built in (shipped inside the package, `search_spaces/`) or
the user's own, read into one checked document; `SpaceReader` turns a fault into one `SpaceError` that
names the file and the key. Each task's space file (`autoencoder.space_file`, `transfer.space`)
says what its document holds."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from archsearch.core.errors import SpaceError
from archsearch.core.params import Choice, Range, Spec


@dataclass(frozen=True)
class FieldRule:
    """What one gene field of a space file may hold: its type, for a categorical field its values, and a
    check of a value returning the problem (None: fine). Each task's space file has a table of them."""

    kind: type  # int, float or str
    allowed: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None


def positive(value: Any) -> str | None:
    return None if value > 0 else f"must be positive, got {value}"


def non_negative(value: Any) -> str | None:
    return None if value >= 0 else f"must be 0 or more, got {value}"


def dropout_rate(value: Any) -> str | None:
    return None if 0 <= value < 1 else f"a dropout rate lies in [0, 1), got {value}"


def built_in_spaces() -> Path:
    """The folder of the spaces shipped with archsearch (package data, so an installed wheel has them)."""
    return Path(str(resources.files("archsearch") / "search_spaces"))


def resolve_space_path(name_or_path: str | Path) -> Path:
    """A bare name means the built-in `search_spaces/NAME.toml`; anything else is a path."""
    name = str(name_or_path)
    path = Path(name)
    if path.suffix != ".toml" and not path.exists():
        path = built_in_spaces() / f"{name}.toml"
    return path


def read_space_document(name_or_path: str | Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML of a space file (of any kind) and its path; a file that is missing, unreadable,
    not text or not TOML is one `SpaceError` naming it."""
    path = resolve_space_path(name_or_path)
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in built_in_spaces().glob("*.toml")))
        raise SpaceError(str(path), "file", f"no such search space (built in: {available})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpaceError(str(path), "file", f"cannot be read as a text file ({exc})") from None
    try:
        return tomllib.loads(text), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise SpaceError(str(path), "syntax", str(exc)) from None


class SpaceReader:
    """Checks one document, raising `SpaceError(source, key, problem)` at the first fault."""

    def __init__(self, source: str, fields: dict[str, FieldRule]) -> None:
        self.source, self.fields = source, fields

    def fail(self, key: str, problem: str) -> SpaceError:
        return SpaceError(self.source, key, problem)

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, got {type(value).__name__}")
        return value

    def keys(self, table: dict[str, Any], where: str, allowed: set[str], required: set[str] = frozenset()) -> None:
        prefix = f"{where}." if where else ""
        for key in table:
            if key not in allowed:
                raise self.fail(prefix + key, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in table:
                raise self.fail(prefix + key, "missing")

    def integer(self, value: Any, key: str, minimum: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}")
        return value

    def spec(self, value: Any, key: str, field_name: str) -> Spec:
        kind, allowed = self.fields[field_name].kind, self.fields[field_name].allowed
        if isinstance(value, list):
            if not value:
                raise self.fail(key, "empty choice list")
            values = tuple(self.scalar(v, key, kind, allowed, field_name) for v in value)
            if len(set(values)) != len(values):
                raise self.fail(key, "lists a value twice")
            return Choice(values)
        if isinstance(value, dict):
            self.keys(value, key, {"min", "max", "log"}, required={"min", "max"})
            if kind is str:
                raise self.fail(key, "a categorical gene takes a list of choices, not a range")
            low = self.scalar(value["min"], f"{key}.min", kind, None, field_name)
            high = self.scalar(value["max"], f"{key}.max", kind, None, field_name)
            if low > high:
                raise self.fail(key, f"min ({low}) > max ({high})")
            log = value.get("log", False)
            if not isinstance(log, bool):
                raise self.fail(f"{key}.log", f"must be true or false, got {log!r}")
            if log and low <= 0:
                raise self.fail(key, "a log range needs min > 0")
            return Range(low, high, integer=kind is int, log=log)
        # A single scalar is a fixed gene: a one-element choice.
        return Choice((self.scalar(value, key, kind, allowed, field_name),))

    def scalar(self, value: Any, key: str, kind: type, allowed: tuple[Any, ...] | None, field_name: str) -> Any:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.fail(key, f"must be {'a' if kind is not int else 'an'} {kind.__name__}, got {value!r}")
        if allowed is not None and value not in allowed:
            raise self.fail(key, f"unknown value {value!r} (allowed: {', '.join(allowed)})")
        check = self.fields[field_name].check
        problem = check(value) if check is not None else None
        if problem:
            raise self.fail(key, problem)
        return value

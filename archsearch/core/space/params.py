"""`Params`: a candidate of a space built from specs, as plain read-only data.

Its values mirror the space (a dict per group, a list per sequence); a task's build function reads
them like a dict (``params["learning_rate"]``, ``params["layers"][0]["filters"]``). Like every genome
it has a JSON document and a stable content key, so the journal replays it and repeats are found.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from archsearch.core.errors import GenomeError
from archsearch.core.genomes import JsonGenome, register_kind
from archsearch.core.space.nodes import TAG

KIND = "params"


class Params(JsonGenome, Mapping):
    """The values of one candidate; read-only (variation returns new ones)."""

    document_name = "params"

    def __init__(self, values: Mapping[str, Any]) -> None:
        if not isinstance(values, Mapping):
            raise GenomeError(f"params: expected a table of values, got {type(values).__name__}")
        self._plain = json.loads(json.dumps(values))  # plain JSON data, its own copy (tuples become lists)
        self._view = _read_only(self._plain)

    def __getstate__(self) -> dict[str, Any]:
        return self._plain  # pickled as plain data (a read-only view does not pickle)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._plain, self._view = state, _read_only(state)

    @property
    def plain(self) -> dict[str, Any]:
        """The values as a fresh plain dict (safe to change)."""
        return json.loads(json.dumps(self._plain))

    def __getitem__(self, name: str) -> Any:
        return self._view[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view)

    def __len__(self) -> int:
        return len(self._view)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Params) and self._plain == other._plain

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Params({self._plain!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": KIND, "values": self.plain}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
            raise GenomeError("params: expected {\"kind\": \"params\", \"values\": {...}}")
        return cls(data["values"])

    def describe(self) -> str:
        """One line: ``layers=[conv(32,3) pool dense(128)] learning_rate=0.001``."""
        return " ".join(f"{name}={_short(value)}" for name, value in self._plain.items())

    def table_columns(self) -> dict[str, Any]:
        """Top-level values as table columns (a list as its length, a group as its short form)."""
        return {name: len(value) if isinstance(value, list) else value if not isinstance(value, dict)
                else _short(value) for name, value in self._plain.items()}


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "[" + " ".join(_short(item) for item in value) + "]"
    if isinstance(value, dict):
        fields = ",".join(_short(v) for k, v in value.items() if k != TAG)
        if TAG in value:
            return f"{value[TAG]}({fields})" if fields else str(value[TAG])
        return "(" + ",".join(f"{k}={_short(v)}" for k, v in value.items()) + ")"
    return str(value)


def _read_only(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _read_only(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_read_only(v) for v in value)
    return value


register_kind(KIND, Params.from_dict)

"""What the engine, the journal and the strategies need of a genome, whatever the task searches.

A genome is plain frozen data with a JSON document and a content hash (`JsonGenome`). Each task's
genome says its kind in its document (the autoencoder's, the first kind, says none) and registers how
to read it back (`register_kind`), so the journal replays any task's records without knowing the task.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from archsearch.core.errors import GenomeError

DEFAULT_KIND = "autoencoder"  # documents written without a "kind" (every autoencoder genome)

_READERS: dict[str, Callable[[dict[str, Any]], Any]] = {}
# Where the built-in kinds register themselves: a record is readable even before its task is imported
# (a table of names, not an import, so the core still depends on no task).
_BUILT_IN = {"autoencoder": "archsearch.autoencoder.genome", "transfer": "archsearch.transfer.space",
             "params": "archsearch.core.space.params"}


class JsonGenome:
    """What every kind of genome shares: a JSON document (`to_dict`/`from_dict`, which each kind
    writes) and a content hash of it."""

    document_name: ClassVar[str] = "genome"

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent)

    @classmethod
    def from_json(cls, text: str):
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise GenomeError(f"{cls.document_name}: not valid JSON ({exc})") from None

    @classmethod
    def from_file(cls, path: str | Path):
        """A genome file (`genome.json`); one that cannot be read, is not JSON or is not this kind's
        document is one `GenomeError` naming it."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GenomeError(f"{path}: not a readable genome file ({exc})") from None
        try:
            return cls.from_json(text)
        except GenomeError as exc:
            raise GenomeError(f"{path}: {exc}") from None

    @property
    def key(self) -> str:
        """A stable content hash: equal genomes have equal keys in every process and Python version."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def register_kind(kind: str, read: Callable[[dict[str, Any]], Any]) -> None:
    """Makes genome documents of `kind` readable by `genome_from_dict` (a task's genome module calls it)."""
    _READERS[kind] = read


def genome_from_dict(data: dict[str, Any]) -> JsonGenome:
    """The genome a document describes, read by its kind's registered reader."""
    kind = data.get("kind", DEFAULT_KIND) if isinstance(data, dict) else DEFAULT_KIND
    if kind not in _READERS and kind in _BUILT_IN:
        importlib.import_module(_BUILT_IN[kind])
    if kind not in _READERS:
        raise GenomeError(f"genome: unknown kind {kind!r} (known: {', '.join(sorted(_READERS))})")
    return _READERS[kind](data)


class Space(Protocol):
    """What a strategy asks of a task's search space (`core.space.Space`, built from specs, or a task's
    own such as the autoencoder's `SearchSpace`): its known-good default genes, random genomes,
    variation that stays inside it, and its specs with the way between a genome and their values (which
    the vector and define-by-run encodings of DE and TPE read)."""

    @property
    def default(self) -> Any: ...

    def sample(self, rng: np.random.Generator) -> Any: ...

    def repair(self, genome: Any, rng: np.random.Generator) -> Any: ...

    def mutate(self, genome: Any, rng: np.random.Generator) -> tuple[Any, str]: ...

    def crossover(self, first: Any, second: Any, rng: np.random.Generator) -> tuple[Any, Any]: ...

    def problems(self, genome: Any) -> list[str]: ...

    def parameters(self) -> Any: ...  # a `core.space.nodes.Group`

    def values_of(self, genome: Any) -> dict[str, Any]: ...

    def from_values(self, values: dict[str, Any]) -> Any: ...

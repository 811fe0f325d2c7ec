"""The run's durable record: one JSON line per evaluation, appended and fsynced as it finishes.

It is the source of truth: resuming replays it, and tables, plots and exports are derived from it.
A process killed in the middle of a write leaves at most one torn last line; reading drops it and the
next append overwrites it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from archsearch.errors import ResumeError
from archsearch.records import EvaluationRecord


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> list[EvaluationRecord]:
        """The recorded evaluations in index order (the file is in order of completion)."""
        if not self.path.exists():
            return []
        records, good_bytes = [], 0
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    records.append(EvaluationRecord.from_dict(json.loads(line)))
                except (json.JSONDecodeError, UnicodeDecodeError, KeyError):
                    if handle.read():  # damage before the end is not a torn write: refuse to guess
                        raise ResumeError(f"{self.path}: line {number} is damaged") from None
                    break
                good_bytes += len(line)
        if good_bytes < self.path.stat().st_size:
            os.truncate(self.path, good_bytes)  # drop the torn line so appends stay well-formed
        return sorted(records, key=lambda r: r.index)

    def append(self, record: EvaluationRecord) -> None:
        line = json.dumps(record.to_dict(), sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

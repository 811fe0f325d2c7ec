"""The run's durable record: one JSON line per evaluation, appended and fsynced as it finishes.

It is the source of truth: resuming replays it, and tables, plots and exports are derived from it.
A process killed in the middle of a write leaves at most one torn last line; reading drops it and the
next append overwrites it.

An asynchronous run also writes an `issued` line whenever it hands a job to a worker, so a resume can
replay the order in which jobs were handed out and results came back, whatever the number of workers.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from archsearch.core.errors import ResumeError
from archsearch.core.records import EvaluationRecord


@dataclass(frozen=True)
class Issued:
    """A job handed to a worker: its index, the candidate's genome key, the budget it trains to, whether
    it was a backfill (a promotion decided by timing at the end of a run, which a resume cannot recompute),
    whether a qualifying promotion was passed over for it because it would have ended after the time box
    (timing again), the seconds the run had been searching when it was issued, and the wall clock then
    (together with the results' finishing times they tell how long a resumed time-boxed run has searched)."""

    index: int
    genome_key: str
    budget: int | None = None
    backfill: bool = False
    passed_over: bool = False
    seconds: float | None = None
    at: float | None = None


@dataclass(frozen=True)
class TimeUp:
    """The run's time box of `box` seconds closed after `seconds` of searching: no job was issued after it
    (the box had run out, or no job left would have ended inside it). A resume with the same box issues
    nothing more; without this line it would count only up to the last issue and could start one more."""

    seconds: float
    box: float | None = None


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> list[EvaluationRecord]:
        """The recorded evaluations in index order (the file is in order of completion)."""
        return sorted((e for e in self.events() if isinstance(e, EvaluationRecord)), key=lambda r: r.index)

    def events(self) -> list[EvaluationRecord | Issued | TimeUp]:
        """Every line in file order: evaluations as they finished, and (asynchronous runs) jobs as issued
        and the moment a time box stopped issuing."""
        if not self.path.exists():
            return []
        events: list[EvaluationRecord | Issued | TimeUp] = []
        good_bytes = 0
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    data = json.loads(line)
                    events.append(Issued(**data["issued"]) if "issued" in data else TimeUp(**data["time_up"])
                                  if "time_up" in data else EvaluationRecord.from_dict(data))
                except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
                    if handle.read():  # damage before the end is not a torn write: refuse to guess
                        raise ResumeError(f"{self.path}: line {number} is damaged") from None
                    break
                good_bytes += len(line)
        if good_bytes < self.path.stat().st_size:
            os.truncate(self.path, good_bytes)  # drop the torn line so appends stay well-formed
        return events

    def append(self, record: EvaluationRecord) -> None:
        self._write(record.to_dict())

    def append_issued(self, issued: Issued) -> None:
        self._write({"issued": asdict(issued)})

    def append_time_up(self, time_up: TimeUp) -> None:
        self._write({"time_up": asdict(time_up)})

    def _write(self, data: dict) -> None:
        line = json.dumps(data) + "\n"  # in the order written: a replayed genome describes itself as it was
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

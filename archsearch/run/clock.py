"""What the engine reads the time from: the wall clock, or a simulated one that moves only when a
simulated job finishes (`run.simulated.SimulatedPool`).

With a simulated clock, a benchmark whose evaluations cost milliseconds is scheduled as if each took
the seconds it reports: the asynchronous engine, its rungs, backfill and time box behave as on real
training, and the time a run reports (its journal's stamps, its time box) is simulated time, the same
for the same seed on any machine.
"""

from __future__ import annotations

import time


class WallClock:
    """Real time: `now` for intervals (monotonic), `stamp` for when something happened (epoch seconds)."""

    def now(self) -> float:
        return time.monotonic()

    def stamp(self) -> float:
        return time.time()


class SimulatedClock:
    """Simulated seconds since the run began, both as interval and as stamp."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def now(self) -> float:
        return self.seconds

    def stamp(self) -> float:
        return self.seconds

    def advance_to(self, seconds: float) -> None:
        self.seconds = max(self.seconds, seconds)


WALL = WallClock()

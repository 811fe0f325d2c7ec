"""Exceptions, split the way Keras Tuner splits them.

`ArchsearchError` and its subclasses stop the run with a one-line message (the CLI prints it and exits
with status 2). A failure inside one candidate is *not* an exception of the run: the evaluator turns it
into an `EvaluationResult` with status ``failed`` or ``invalid`` and the search goes on.
"""

from __future__ import annotations


class ArchsearchError(Exception):
    """A fault of the run itself (bad input, inconsistent resume): stops the run."""


class SpaceError(ArchsearchError):
    """A search-space file is malformed; the message names the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}")


class GenomeError(ArchsearchError):
    """A genome document (JSON) does not describe a genome."""


class DataError(ArchsearchError):
    """The data set could not be found or has the wrong shape."""


class ResumeError(ArchsearchError):
    """A run directory cannot be resumed with the given settings."""


class InvalidGenome(Exception):
    """A genome cannot be built for this input shape; recorded as an invalid evaluation, with `reason`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

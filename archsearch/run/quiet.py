"""Imports TensorFlow without the lines its C++ core writes to stderr before logging is set up
(oneDNN and CPU-feature notices that no environment variable silences), so command output stays
readable. Python-level errors still surface: only file descriptor 2 is muted, and only meanwhile."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def muted_stderr():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    try:
        with muted_stderr():
            import tensorflow  # noqa: F401
    except ImportError:
        pass  # another backend, or TensorFlow missing: Keras reports it where it matters

"""Imports modules (TensorFlow through Keras, above all) without the lines a C++ core writes to stderr
before logging is set up (oneDNN and CPU-feature notices that no environment variable silences), so
command output stays readable. Python-level errors still surface: only file descriptor 2 is muted, and
only meanwhile. Names, not imports: the core itself loads no machine-learning library."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

KERAS = "keras"  # what a process that trains imports ahead (its backend, TensorFlow here, comes with it)


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


def import_quietly(*modules: str) -> None:
    """Imports `modules` (default: Keras and its backend) with stderr muted; one that is missing is left
    for the code that needs it to report."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in modules or (KERAS,):
        if name in sys.modules:
            continue
        try:
            with muted_stderr():
                importlib.import_module(name)
        except ImportError:
            pass

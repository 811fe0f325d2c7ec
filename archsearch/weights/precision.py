"""The dtypes the batched pass scores a population in, and whether this process can use bfloat16.

bfloat16 runs on TensorFlow's oneDNN kernels where the CPU has bfloat16 instructions and on its Eigen
kernels (converted to float32 and back) elsewhere. Where the two disagree about what the CPU can do
(oneDNN held to AVX2 with `ONEDNN_MAX_CPU_ISA`, say), oneDNN throws a C++ exception that aborts the
whole process: no Python `except` can catch it. So whether bfloat16 runs is tried once, in a child
process with this one's environment (`bfloat16_probe.py`), before any work. No Keras at import: the
command line lists the precisions.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

PRECISIONS = ("float32", "bfloat16")
PROBE_SECONDS = 180  # importing TensorFlow and tracing a tiny pass takes 5 s on 2 cores


def require_known(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")


def check_precision(precision: str) -> None:
    """A one-line ValueError if `precision` is unknown or cannot run in this process."""
    require_known(precision)
    if precision == "bfloat16" and (failure := bfloat16_failure()):
        raise ValueError(f"bfloat16 cannot run here (a process scoring a tiny population in it failed: "
                         f"{failure}); use float32")


@functools.cache
def bfloat16_failure() -> str | None:
    """None where a child process scores a small population in bfloat16 on every kind of layer the pass
    batches; otherwise why it could not."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    return child_failure([sys.executable, "-m", "archsearch.weights.bfloat16_probe"], env)


def child_failure(command: list[str], env: dict[str, str] | None = None, timeout: float = PROBE_SECONDS) -> str | None:
    """None if `command` exits 0; else its last line of error output (or how it ended), on one line."""
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"no answer in {timeout:.0f} s"
    if done.returncode == 0:
        return None
    ending = f"exit status {done.returncode}" if done.returncode > 0 else f"killed by signal {-done.returncode}"
    error = last_error(done.stderr)
    return f"{error} ({ending})" if error else ending


def last_error(stderr: str) -> str:
    """The last error line of a child's output, its first sentence: a Python exception without its module
    path and TensorFlow's graph-node decorations, or a C++ exception's `what()`."""
    for line in reversed(stderr.splitlines()):
        line = re.sub(r"\{\{function_node [^}]*\}\}\s*|^\s*what\(\):\s*|^[\w.]+\.(?=\w+(Error|Exception):)", "",
                      line).strip()
        if line and not line.startswith("[["):
            first_sentence = line.find(". ", 40)
            return line[:first_sentence + 1 if first_sentence > 0 else 200][:200]
    return ""

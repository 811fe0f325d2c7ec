"""The machine a benchmark ran on, in the words benchmarks/README.md records it with: the CPU's model and
the flags that decide TensorFlow's kernels, whether oneDNN is on, and the float32 matrix-multiply rate.

    python benchmarks/machine.py
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np

# The CPU flags that change which kernels TensorFlow runs (oneDNN is on by default only with AVX-512).
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")


def cpu() -> str:
    """'AMD EPYC, 2 cores, avx2 fma avx512f ...': the model name and which of FLAGS it has."""
    model, flags = platform.processor() or platform.machine(), set()
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    present = [f for f in FLAGS if f in flags]
    missing = [f for f in FLAGS if f not in flags]
    return f"{model}, {cores} cores, with {' '.join(present) or 'none of ' + ' '.join(FLAGS)}" + (
        f", without {' '.join(missing)}" if missing else "")


def onednn() -> str:
    """'on' or 'off': whether TensorFlow runs its oneDNN kernels in this process."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return "n/a (no TensorFlow)"
    return "on" if _pywrap_util_port.IsMklEnabled() else "off"


def best_seconds(function, repeats: int) -> float:
    function()  # warm-up: tracing, allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """`keras.ops.matmul` of two float32 size x size matrices, the best of `repeats`, in GFLOP/s."""
    import keras

    a = keras.ops.convert_to_tensor(np.random.default_rng(0).random((size, size), dtype=np.float32))
    seconds = best_seconds(lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, a)), repeats)
    return 2 * size**3 / seconds / 1e9


def describe() -> str:
    """Three lines: the CPU, oneDNN and the matmul rate, with the backend that ran it."""
    import keras

    return (f"cpu: {cpu()}\n"
            f"oneDNN: {onednn()} (TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')})\n"
            f"matmul: {matmul_gflops():.1f} GFLOP/s float32 (2048x2048, keras.ops.matmul, "
            f"{keras.backend.backend()} backend)")


if __name__ == "__main__":
    from archsearch.core.quiet import import_quietly

    import_quietly()
    print(describe())

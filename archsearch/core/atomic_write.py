"""Files written whole or not at all: a reader (a resumed run, another worker) never sees half of one."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: str | Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """`data` (bytes, or a function that writes to the open file) written beside `path` under a name of
    this process and thread, then renamed into place."""
    path = Path(path)
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.partial")
    try:
        with open(partial, "wb") as handle:
            handle.write(data) if isinstance(data, bytes) else data(handle)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)

"""The child side of `IsolatedEvaluator`: `python -m archsearch.run.worker`.

Protocol over stdin/stdout: length-prefixed pickles. First the evaluator, answered by ("ready", the
stamp of the archsearch source this child runs); then (genome, seed, *context) requests, each answered by
an `EvaluationResult`; None ends the child. The real stdout is kept for
the protocol and file descriptor 1 is pointed at stderr, so a library that prints cannot corrupt it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

HEADER = struct.Struct("<Q")
PRELOAD = "--preload"  # then the modules the evaluator needs (its `preload`), imported before it arrives


def send(stream: BinaryIO, obj: Any) -> None:
    send_pickled(stream, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def send_pickled(stream: BinaryIO, data: bytes) -> None:
    stream.write(HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    """The next message; raises EOFError when the other side has gone."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    size = HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def source_stamp() -> str:
    """The archsearch source files on disk (names, sizes, modification times): a child started later
    imports them afresh, so a run whose package was edited or reinstalled meanwhile would mix code."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def exit_when_orphaned(parent: int, every: float = 1.0) -> None:
    """Ends this child once its parent is gone (killed with -9, say): a child in the middle of a candidate
    would otherwise train on for up to a whole rung, on a core the next run needs."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="orphan-watch").start()


def main() -> None:
    exit_when_orphaned(os.getppid())
    # Ctrl-C reaches the whole process group; the parent stops this child itself. Dying here instead
    # would race the parent's KeyboardInterrupt and could record the candidate as failed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    from archsearch.core.quiet import import_quietly

    if PRELOAD in sys.argv:  # before the evaluator arrives: start-up overlaps the parent's work
        import_quietly(*sys.argv[sys.argv.index(PRELOAD) + 1].split(","))
    evaluator = receive(requests)
    send(protocol_out, ("ready", source_stamp()))
    while True:
        message = receive(requests)
        if message is None:
            return
        genome, seed, *context = message  # context: the parents' genome keys, for weight inheritance
        send(protocol_out, evaluator.evaluate(genome, seed, *context))


if __name__ == "__main__":
    try:
        main()
    except (EOFError, BrokenPipeError):
        pass

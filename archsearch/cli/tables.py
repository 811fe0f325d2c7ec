"""Tables people read in a terminal or in a log: figures are never cut, only words wrap.

Rich lays a table out to the console's width, and a console that is not a terminal (output piped to a
file, a CI log) is 80 columns unless told: the results table was then squeezed until numbers were cut
(`837,7…`, `lr=0.…`). Without a terminal the output is therefore `LOG_WIDTH` wide, and in a table every
column of figures keeps the width of its longest cell, so on a narrow terminal only text columns wrap.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

LOG_WIDTH = 200  # a log has no width of its own: wide enough for a results table's row on one line


def output_console() -> Console:
    """Standard error as the commands write to it: a terminal's width, or `LOG_WIDTH` without a terminal
    (unless COLUMNS says otherwise)."""
    console = Console(stderr=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=True, width=LOG_WIDTH)
    return console


def readable_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
                   text: Sequence[str] = ()) -> Table:
    """A rich table of `rows` (cells as strings). Columns named in `text` hold words (an architecture, a
    genome's genes) and wrap when the width runs out; every other column holds figures, never wrapped or
    cut."""
    table = Table(title=title)
    for position, column in enumerate(columns):
        if column in text:
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, no_wrap=True, min_width=max((len(row[position]) for row in rows), default=1))
        # (a header wider than its figures may wrap: "images seen" over two lines)
    for row in rows:
        table.add_row(*row)
    return table

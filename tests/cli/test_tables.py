"""Tables that stay readable in a log and on a narrow terminal: figures whole, words wrapped."""

import io

from rich.console import Console

from archsearch.cli.tables import LOG_WIDTH, output_console, readable_table

# the search's results table (its columns as `archsearch search` prints them)
ROWS = [["1", "17", "4", "162,048", "0.01011", "837,712",
         "c32k3s2 c48k3s2 bn c64k3s1 dropout0.125 upsample c48k3s2 c32k3s2 z16; adam lr=0.00512 bs=64 mse"],
        ["2", "103", "12", "54,016", "0.01020", "1,204,556", "c32k3s2 c48k3s2 z16; rmsprop lr=0.0003 bs=128 huber"]]
COLUMNS = ["rank", "candidate", "gen", "images seen", "val MSE", "params", "genes"]


def rendered(width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width).print(readable_table("best", COLUMNS, ROWS, text=("genes",)))
    return out.getvalue()


def test_on_an_80_column_terminal_figures_stay_whole_and_only_words_wrap():
    text = rendered(80)
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    for row in ROWS:
        assert all(figure in text for figure in row[:6])
    assert ROWS[0][6] not in text and "dropout0.125" in text  # the genes wrapped onto more lines, whole words
    assert all(header in text for header in ("rank", "candidate", "val MSE", "params", "genes"))


def test_in_a_log_each_row_is_one_line():
    text = rendered(LOG_WIDTH)
    assert any(all(cell in line for cell in ROWS[0]) for line in text.splitlines())


def test_without_a_terminal_the_output_is_a_logs_width(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    console = output_console()  # pytest captures standard error: no terminal
    assert not console.is_terminal and console.width == LOG_WIDTH
    monkeypatch.setenv("COLUMNS", "100")
    assert output_console().width == 100

"""The directory a winner is handed over in, the same for every task: `genome.json` (load it with the
task's genome class), each model as `NAME.keras` (plain `keras.models.load_model`), `summary.txt` in
words and `metrics.json` for programs; and `export_ranked`, which writes several of them (`archsearch
export`) with an index."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from archsearch.core.errors import ArchsearchError
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import EvaluationRecord

GENOME, SUMMARY, METRICS = "genome.json", "summary.txt", "metrics.json"


def write_winner(directory: Path, genome: JsonGenome, models: dict[str, keras.Model], summary: str,
                 metrics: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / GENOME).write_text(genome.to_json(indent=2) + "\n")
    for name, model in models.items():
        model.save(directory / f"{name}.keras")
    (directory / SUMMARY).write_text(summary)
    (directory / METRICS).write_text(json.dumps(metrics, indent=2) + "\n")


def require_chosen(run_dir: Path, chosen: list[EvaluationRecord]) -> list[EvaluationRecord]:
    """The candidates to export; none (no evaluation succeeded) is one line, before any data is read."""
    if not chosen:
        raise ArchsearchError(f"{run_dir}: no successful evaluation to export")
    return chosen


def export_ranked(chosen: list[EvaluationRecord], target: Path, log: Callable[[str], None],
                  hand_over_one: Callable[[EvaluationRecord, Path], dict[str, Any]],
                  prefix: str = "rank") -> list[tuple[Path, dict[str, Any]]]:
    """Hands each chosen candidate over in TARGET/{prefix}N_KEY (`hand_over_one` writes it and returns its
    metrics), and lists them with their test scores and size in TARGET/index.json."""
    written = []
    for rank, record in enumerate(chosen, start=1):
        directory = target / f"{prefix}{rank}_{record.genome.key}"
        log(f"[{rank}/{len(chosen)}] #{record.index} ({record.genome.describe()}) ...")
        written.append((directory, hand_over_one(record, directory)))
    (target / "index.json").write_text(json.dumps(
        [{"rank": i + 1, "directory": d.name, **{k: v for k, v in m.items() if k.startswith("test_")},
          "params": m["params"]} for i, (d, m) in enumerate(written)], indent=2) + "\n")
    return written

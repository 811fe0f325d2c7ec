"""The directory a winner is handed over in, the same for every task: `genome.json` (load it with the
task's genome class), each model as `NAME.keras` (plain `keras.models.load_model`), `summary.txt` in
words and `metrics.json` for programs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras

from archsearch.core.genomes import JsonGenome

GENOME, SUMMARY, METRICS = "genome.json", "summary.txt", "metrics.json"


def write_winner(directory: Path, genome: JsonGenome, models: dict[str, keras.Model], summary: str,
                 metrics: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / GENOME).write_text(genome.to_json(indent=2) + "\n")
    for name, model in models.items():
        model.save(directory / f"{name}.keras")
    (directory / SUMMARY).write_text(summary)
    (directory / METRICS).write_text(json.dumps(metrics, indent=2) + "\n")

"""The plots of a strategy comparison (PNG): how fast each strategy finds good candidates, how its
final results spread over seeds, what the winners gain over a vanilla autoencoder, and NSGA-II's front."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from archsearch.analysis.plots import plt, save_pareto_plot
from archsearch.analysis.tables import best_so_far


def _colours(strategies: list[str]) -> dict[str, str]:
    return {s: f"C{i % 10}" for i, s in enumerate(strategies)}


def _median_band(axis, x: np.ndarray, curves: np.ndarray, colour: str, label: str) -> None:
    """Drawn only where every seed has a result: a median over fewer seeds would jump about."""
    complete = np.all(np.isfinite(curves), axis=0)
    if not complete.any():
        return
    low, mid, high = np.quantile(curves[:, complete], [0.25, 0.5, 0.75], axis=0)
    axis.plot(x[complete], mid, color=colour, label=label)
    axis.fill_between(x[complete], low, high, color=colour, alpha=0.15, linewidth=0)


def save_best_so_far_plots(evaluations: pd.DataFrame, directory: Path, fitness_label: str = "val MSE") -> list[str]:
    """Best fitness so far against evaluations and against wall seconds: the median over seeds
    as a line, the interquartile range as a band."""
    strategies = list(dict.fromkeys(evaluations["strategy"]))
    colours = _colours(strategies)
    runs = {key: run.sort_values("index") for key, run in evaluations.groupby(["strategy", "seed"], sort=False)}
    horizon = max(run["wall_seconds"].max() for run in runs.values())
    clock = np.linspace(0, horizon, 200)
    names = []
    for axis_name, file_name in (("evaluations", "best_vs_evaluations.png"), ("wall seconds", "best_vs_seconds.png")):
        fig, axis = plt.subplots(figsize=(7, 4.2))
        for strategy in strategies:
            curves = []
            for (s, _), run in runs.items():
                if s != strategy:
                    continue
                fitness = np.where(run["status"] == "ok", run["fitness"], np.inf).astype(float)
                if axis_name == "evaluations":
                    curves.append(best_so_far(fitness, run["rung"]))
                else:  # step function of the clock: the best among the evaluations finished by then
                    order = np.argsort(run["wall_seconds"].to_numpy(), kind="stable")
                    times = run["wall_seconds"].to_numpy()[order]
                    best = best_so_far(fitness[order], run["rung"].to_numpy()[order])
                    positions = np.searchsorted(times, clock, side="right") - 1
                    curves.append(np.where(positions >= 0, best[np.maximum(positions, 0)], np.inf))
            width = max(len(c) for c in curves)
            padded = np.array([np.pad(c, (0, width - len(c)), mode="edge") for c in curves])
            x = np.arange(1, width + 1) if axis_name == "evaluations" else clock
            _median_band(axis, x, padded, colours[strategy], f"{strategy} ({len(curves)} seeds)")
        axis.set_xlabel(axis_name)
        axis.set_ylabel(f"best {fitness_label} so far")
        axis.set_yscale("log")
        axis.legend(fontsize=8)
        axis.set_title(f"Best so far against {axis_name} (median over seeds, band: interquartile range)", fontsize=9)
        fig.tight_layout()
        fig.savefig(directory / file_name, dpi=110)
        plt.close(fig)
        names.append(file_name)
    return names


def save_final_loss_plot(results: pd.DataFrame, path: Path, fitness_label: str = "val MSE") -> None:
    """The best fitness of every seed, per strategy: a box and the points themselves."""
    strategies = list(results.groupby("strategy")["best_fitness"].median().sort_values().index)
    values = [results.loc[results["strategy"] == s, "best_fitness"].dropna().to_numpy() for s in strategies]
    fig, axis = plt.subplots(figsize=(7, 4))
    axis.boxplot(values, showfliers=False)
    axis.set_xticks(range(1, len(strategies) + 1), strategies)
    for i, v in enumerate(values, start=1):
        axis.scatter(np.full(len(v), i) + np.linspace(-0.08, 0.08, len(v)), v, s=18, color="C3", zorder=3)
    axis.set_ylabel(f"best {fitness_label} of a run")
    axis.set_title("Final result per seed (lower is better; strategies by median)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_improvement_plot(best: pd.DataFrame, path: Path) -> None:
    """One bar per strategy's best architecture of a seed: height = test-loss improvement over the vanilla
    autoencoder with the same latent size, in %; width = the architecture's parameters."""
    strategies = list(dict.fromkeys(best["strategy"]))
    colours = _colours(strategies)
    fig, axis = plt.subplots(figsize=(9, 4.2))
    left, gap = 0.0, float(best["params"].max()) * 0.15
    centres = []
    for strategy in strategies:
        rows = best[best["strategy"] == strategy].sort_values("params")
        start = left
        for row in rows.itertuples():
            axis.bar(left, row.improvement, width=row.params, align="edge", color=colours[strategy],
                     edgecolor="white", linewidth=0.6)
            left += row.params
        centres.append((start + left) / 2)
        left += gap
    axis.axhline(0, color="black", linewidth=0.8)
    axis.set_xticks(centres, strategies, fontsize=8, rotation=30)
    axis.set_xlabel("bars side by side, each as wide as its parameter count "
                    f"(widest: {int(best['params'].max()):,} parameters)")
    axis.set_ylabel("test MSE improvement over vanilla AE (%)")
    axis.set_title("Each strategy's best architecture per seed against a vanilla autoencoder", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_nsga2_fronts(evaluations: pd.DataFrame, fronts: dict[int, list[tuple[float, float]]], path: Path) -> None:
    """The Pareto front NSGA-II returned on each seed, over everything it evaluated."""
    ok = evaluations[(evaluations["strategy"] == "nsga2") & (evaluations["status"] == "ok")]
    series = {}
    for seed, front in fronts.items():
        run = ok[ok["seed"] == seed]
        series[f"nsga2 seed {seed}"] = (list(zip(run["params"].astype(float), run["fitness"])), front)
    save_pareto_plot(series, path, title="NSGA-II: Pareto fronts of validation MSE against parameters")


def save_anytime_plot(times: np.ndarray, curves: dict[str, np.ndarray], measure: str, path: Path,
                      fitness_label: str = "val MSE") -> None:
    """Each strategy's incumbent (what the run would hand over if stopped then) against seconds: the
    median over seeds as a line, the interquartile range as a band."""
    colours = _colours(list(curves))
    fig, axis = plt.subplots(figsize=(7, 4.2))
    for strategy, runs in curves.items():
        _median_band(axis, times, np.where(np.isnan(runs), np.inf, runs), colours[strategy],
                     f"{strategy} ({len(runs)} seeds)")
    label = {"regret": "regret", "test": fitness_label.replace("val", "test", 1)}.get(measure, fitness_label)
    finite = np.concatenate([c[np.isfinite(c)] for c in curves.values()])
    axis.set_yscale("log" if len(finite) and finite.min() > 0 else "symlog",
                    **({} if len(finite) and finite.min() > 0 else {"linthresh": 1e-4}))
    axis.set_xlabel("seconds of the run (simulated seconds on a simulated benchmark)")
    axis.set_ylabel(f"{label} of the incumbent")
    axis.legend(fontsize=8)
    axis.set_title("Anytime: the run's choice at each moment (median over seeds, band: interquartile range)",
                   fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

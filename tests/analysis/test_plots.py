"""The run's progress plot: what it draws on a log scale, and when it cannot."""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from archsearch.analysis import plots
from archsearch.analysis.plots import save_progress_plot
from archsearch.analysis.tables import best_so_far
from archsearch.core.records import FAILED, OK, EvaluationRecord, EvaluationResult
from archsearch.core.space.params import Params


def records(values, rungs=None):
    return [EvaluationRecord(i, 0, Params({"x": i}), EvaluationResult(OK if np.isfinite(v) else FAILED, fitness=v),
                             rung=(rungs or [0] * len(values))[i]) for i, v in enumerate(values)]


def test_best_so_far_ignores_failures():
    assert list(best_so_far(np.array([np.inf, 0.3, np.nan, 0.5, 0.1]))) == [np.inf, 0.3, 0.3, 0.3, 0.1]


def test_best_so_far_is_the_runs_choice_at_each_moment_the_most_trained_first():
    """A promotion's result displaces a better one of a lower rung, as the run's final choice would."""
    assert list(best_so_far([0.3, 0.5, 0.1, 0.4, 0.45], rungs=[0, 1, 0, 1, 2])) == [0.3, 0.5, 0.5, 0.4, 0.45]


def test_a_perfect_score_keeps_the_progress_plot_linear_and_quiet(tmp_path, monkeypatch):
    scales = []
    close = plt.close

    def remember(fig):
        scales.append(fig.axes[0].get_yscale())
        close(fig)

    monkeypatch.setattr(plots.plt, "close", remember)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Data has no positive values, and therefore cannot be log-scaled"
        save_progress_plot(records([0.2, 0.0, np.inf]), tmp_path / "perfect.png", ylabel="validation error")
    save_progress_plot(records([0.2, 0.05, np.nan]), tmp_path / "usual.png")
    assert scales == ["linear", "log"]
    assert (tmp_path / "perfect.png").stat().st_size > 0 and (tmp_path / "usual.png").stat().st_size > 0

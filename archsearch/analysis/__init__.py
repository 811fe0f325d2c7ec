"""Derived views of a run: tables, baselines, plots and exports. Sits on top of run/ and evaluation/."""

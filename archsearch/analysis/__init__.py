"""Pure functions over a run's records: tables, the Pareto front, plots, the PCA baseline, and the Optuna
lineage (the only module here that imports Optuna). No task, no training."""

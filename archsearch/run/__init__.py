"""Running a search: config, journal, the strategy-agnostic loop and the `Search` entry point."""

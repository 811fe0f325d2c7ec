"""Your own search in one file: a task built from a space and a Keras build function (`KerasTask`),
trained by one shared evaluator to any fidelity, loaded from a file or passed from Python, and run by the
same engine, journal and executors as the built-in tasks."""

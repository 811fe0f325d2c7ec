"""Search spaces built from parameter specs (`Space`), and what every strategy derives from them."""

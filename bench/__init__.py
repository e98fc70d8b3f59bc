"""Load benchmark package: run ``python -m bench --help``."""

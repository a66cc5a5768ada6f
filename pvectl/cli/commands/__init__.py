"""Hand-written command groups, one module each, registered lazily in ``pvectl.cli.lazy.COMMANDS``."""

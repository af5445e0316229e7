"""Subcommands of the ``cbcs`` CLI, one module each with ``register(subparsers)``."""

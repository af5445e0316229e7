"""Scenario benchmarks behind ``cbcs bench AREA``: one module per core area."""

"""What every test folder shares: clocks that move only when told, one result type for a `pvectl` run, the
simulator mounted under the CLI, and the pytest plugin (tests/support/plugin.py, registered in tests/conftest.py)
whose autouse fixtures make every test hermetic and safe to run next to others under pytest-xdist."""

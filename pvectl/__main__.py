"""Entry point: ``pvectl`` and ``python -m pvectl``."""

from __future__ import annotations


def main() -> None:
    from pvectl.cli.app import run

    run()


if __name__ == "__main__":
    main()

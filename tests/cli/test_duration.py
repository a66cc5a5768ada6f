"""``--timeout DURATION``: 90s, 10m, 1h30m, 500ms or seconds; anything else names the option (exit 2)."""

from __future__ import annotations

import pytest

from pvectl.cli.duration import parse_duration
from pvectl.cli.errors import USAGE, CliError


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h30m", 5400), ("500ms", 0.5), ("2.5", 2.5), (" 45 ", 45)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "--timeout") == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "-1", "0", "nan", "inf", "s", "10m5", "8d", "1e9"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(CliError) as info:
        parse_duration(text, "--timeout")
    assert info.value.code == USAGE and str(info.value).startswith("--timeout: ")

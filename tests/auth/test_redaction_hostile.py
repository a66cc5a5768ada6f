"""Masking is linear in the text's length and never reveals a planted secret, whatever surrounds it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pvectl.sdk._core.redact as module
from pvectl.sdk._core.redact import redact

# Texts that made a pattern scan the rest of a run from every start position (quadratic): a long run without
# separators, a run around one '@', the header prefix or a ticket prefix repeated, a quote before a long word.
HOSTILE: dict[str, Callable[[int], str]] = {
    "run without separators": lambda n: "a" * n,
    "one @ in a run": lambda n: "a" * (n // 2) + "@" + "b" * (n // 2),
    "header prefix repeated": lambda n: "PVEAPIToken=" * (n // 12),
    "ticket prefix repeated": lambda n: "PVE:" * (n // 4),
    "encoded ticket prefix repeated": lambda n: "PVE%3A" * (n // 6),
    "ticket prefix and hex": lambda n: "PVE:0000000:" * (n // 12),
    "quote before a long word": lambda n: '"' + "a" * n,
    "csrf name repeated": lambda n: "csrfpreventiontoken" * (n // 19),
    "token ids without secret": lambda n: "a@b!cccccccccccccccccccc" * (n // 24),
}


def _cpu(text: str) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        redact(text)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("shape", list(HOSTILE))
def test_masking_work_grows_linearly_up_to_4_mb(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Masking 4n characters costs about 4 times n, never 16 (a quadratic scan), from 4 KB up to 1 MB vs 4 MB.


    Not a timed assertion: the two sizes are compared in one run, with a generous factor; pairs too fast to
    measure (under 2 ms) are skipped, and the walk stops at the first pair that grows too fast, so a quadratic
    pattern fails in about a second instead of running for hours.
    """
    monkeypatch.setattr(module, "_known", set())
    make = HOSTILE[shape]
    top = 4 * 1024 * 1024 if shape == next(iter(HOSTILE)) else 1024 * 1024  # one shape up to 4 MB is enough
    n, judged = 4096, 0
    small = _cpu(make(n))
    while 4 * n <= top:
        large = _cpu(make(4 * n))
        if small >= 0.002:
            judged += 1
            assert large / small < 10, f"{shape}: {n} chars {small * 1000:.1f} ms, {4 * n} chars {large * 1000:.1f} ms"
        n, small = 4 * n, large
    assert judged, "no pair was slow enough to measure"


@pytest.mark.parametrize("shape", list(HOSTILE))
def test_masking_10_mb_costs_about_4_times_2_5_mb(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's size: 10 MB of each hostile shape against a quarter of it, in one run (a quadratic pattern
    would take 16 times as long, and minutes in absolute terms)."""
    monkeypatch.setattr(module, "_known", set())
    make = HOSTILE[shape]
    small, large = _cpu(make(4_000)), _cpu(make(16_000))  # a quadratic pattern fails here, in seconds
    assert large < 0.05 or large / max(small, 0.001) < 10, f"{shape}: 16 KB took {large * 1000:.0f} ms"
    quarter, whole = _cpu(make(2_500_000)), _cpu(make(10_000_000))
    assert whole / max(quarter, 0.001) < 10, f"{shape}: 2.5 MB {quarter * 1000:.0f} ms, 10 MB {whole * 1000:.0f} ms"


_SECRET = st.text(alphabet="abcdefABCDEF0123456789-+/", min_size=12, max_size=40).filter(lambda s: s[0] != "-")
_NAME = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
_NOISE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
_SEPARATOR = st.sampled_from([" ", "\n", "\t", " | ", "\r\n"])


@st.composite
def _planted(draw: st.DrawFn) -> tuple[str, str]:
    """A credential in one of PVE's shapes, with a random secret; returns (text, secret)."""
    secret = draw(_SECRET)
    user, realm, tokenid = draw(_NAME), draw(_NAME), draw(_NAME)
    shapes = [
        f"{user}@{realm}!{tokenid}={secret}",
        f"PVEAPIToken={user}@{realm}!{tokenid}={secret}",
        f"PVEAPIToken={user}@{realm}!{tokenid}:{secret}",
        f"Authorization: PVEAPIToken={user}@{realm}!{tokenid}={secret}",
        f"PVE:{user}@{realm}:65A1B2C3::{secret}",
        f"PVEAuthCookie=PVE:{user}@{realm}:65A1B2C3::{secret}",
        f"PVEVNC:65A1B2C3::{secret}",
        f"CSRFPreventionToken: 65A1B2C3:{secret}",
        f'{{"CSRFPreventionToken":"65A1B2C3:{secret}"}}',
        f'{{"password": "{secret}"}}',
        f'{{"cipassword":"{secret}"}}',
        f"username={user}&password={secret}&otp=1",
        f"cipassword={secret}",
        f'token-secret = "{secret}"',
    ]
    return draw(st.sampled_from(shapes)), secret


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(planted=_planted(), before=_NOISE, after=_NOISE, left=_SEPARATOR, right=_SEPARATOR)
def test_a_planted_secret_never_shows(
    planted: tuple[str, str], before: str, after: str, left: str, right: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "_known", set())
    shape, secret = planted
    assume(secret not in before and secret not in after)
    out = redact(before + left + shape + right + after)
    assert secret not in out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(planted=_planted(), repeat=st.integers(1, 50), glue=st.sampled_from(["", "a", "@", "PVE:", "=", "PVEAPIToken="]))
def test_a_secret_in_a_hostile_run_never_shows(
    planted: tuple[str, str], repeat: int, glue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A credential after a long run of anchors (the inputs the linear patterns stop early on) is still masked."""
    monkeypatch.setattr(module, "_known", set())
    shape, secret = planted
    out = redact(glue * repeat + " " + shape)
    assert secret not in out


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and len(s.strip()) >= 4), noise=_NOISE)
def test_a_registered_secret_never_shows(secret: str, noise: str) -> None:
    module.register_secret(secret)
    try:
        assert secret not in redact(noise + secret + noise)
    finally:
        module.forget_secret(secret)


def test_token_ids_and_upids_stay_whole_next_to_a_long_run() -> None:
    upid = "UPID:pve1:0001A2B3:0042C0DE:65A1B2C3:qmstart:100:ops@pve!ci:"
    text = "x" * 100_000 + " " + upid + " ops@pve!ci=0b5e3c1a-9f7d-4e2b"
    out = redact(text)
    assert out.endswith(f" {upid} ops@pve!ci=***")


@pytest.mark.parametrize(
    "text",
    ["PASSWORD=hunter22", '{"CiPassword": "hunter22"}', "pa\u017f\u017fword=hunter22", "t\u0131cket=hunter22",
     "CSRFPrevent\u0131onToken: 65A1B2C3:hunter22", "\u212aEY token-secret = 'hunter22'"],
)  # fmt: skip
def test_case_insensitive_names_are_masked_whatever_their_case(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The case-insensitive patterns are skipped when their words are absent: words IGNORECASE equates count."""
    monkeypatch.setattr(module, "_known", set())
    assert "hunter22" not in redact(text)

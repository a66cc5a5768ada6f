"""The spec-driven question builders: validation by the domain rules, derived defaults, relevance."""

from __future__ import annotations

import pytest

from pvectl.prompts.questions import Session, Target, parse, validator
from pvectl.prompts.steps import relevant, step_fields
from pvectl.vm.config import Disk, VmConfig
from pvectl.vm.fields import BY_FLAG, DISK_BY_FLAG, FIELDS, STEPS


class NoServer:
    """Validation never asks the server."""


def session(config: VmConfig | None = None, taken: set[int] | None = None) -> Session:
    return Session(config or VmConfig(), NoServer(), taken or set())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flag", "answer", "message"),
    [
        ("vmid", "12", "VM id 12 is outside 100..999999999"),
        ("vmid", "101", "VM id 101 is already in use"),
        ("vmid", "1x", "'1x' is not a whole number"),
        ("name", "web_1", "'web_1' is not a valid DNS name (letters, digits, '-', '.')"),
        ("memory", "8", "must be at least 16 MiB, got 8"),
        ("memory", "", "an answer is needed"),
        ("min-memory", "4096", "minimum memory (4096) must not exceed memory (2048)"),
        ("cores", "0", "must be at least 1, got 0"),
        ("vlan", "5000", "VLAN tag must be 1..4094, got 5000"),
        ("mtu", "70000", "MTU must be 576..65520, or 1 for the bridge's MTU; got 70000"),
        ("mtu", "100", "MTU must be 576..65520, or 1 for the bridge's MTU; got 100"),
        ("rate", "-1", "rate limit must be 0 or more MB/s, got -1.0"),
        ("rate", "fast", "'fast' is not a number"),
        ("queues", "65", "multiqueue must be 0..64, got 65"),
        ("mac", "01:00:00:00:00:00", "'01:00:00:00:00:00' is not a unicast MAC address (XX:XX:XX:XX:XX:XX)"),
        ("startup-delay", "-5", "must be 0 or more, got -5"),
    ],
)
def test_answers_are_checked_by_the_domain_rules(flag: str, answer: str, message: str) -> None:
    check = validator(session(taken={101}), Target(BY_FLAG[flag]))
    assert check(answer) == message


@pytest.mark.parametrize("answer", ["1", "576", "65520"])
def test_mtu_limits_are_the_guis(answer: str) -> None:
    assert validator(session(), Target(BY_FLAG["mtu"]))(answer) is True


@pytest.mark.parametrize(
    ("flag", "answer"), [("vmid", ""), ("vmid", "4242"), ("vlan", "20"), ("mac", ""), ("rate", "12.5")]
)
def test_good_answers_pass(flag: str, answer: str) -> None:
    assert validator(session(), Target(BY_FLAG[flag]))(answer) is True


def test_disk_answers_are_checked_for_that_disk() -> None:
    config = VmConfig(disks=[Disk(), Disk(storage="local-lvm")])
    check = validator(session(config), Target(DISK_BY_FLAG["size"], 1))
    assert check("0") == "size must be at least 1 GiB, got 0"
    assert check("100") is True


def test_parse() -> None:
    assert parse("int", " 42 ", optional=False) == 42
    assert parse("float", "2.5", optional=False) == 2.5
    assert parse("int", "", optional=True) is None
    assert parse("str", "web1", optional=True) == "web1"
    with pytest.raises(ValueError, match="an answer is needed"):
        parse("int", "  ", optional=False)


def test_every_field_belongs_to_a_step_and_is_asked_once() -> None:
    asked = [f.path for step in STEPS for group in step_fields(step) for f in group]
    assert sorted(asked) == sorted(f.path for f in FIELDS)
    basic, advanced = step_fields("network")
    assert [f.path for f in basic][:2] == ["network.enabled", "network.bridge"]  # spec order
    assert "network.vlan" in [f.path for f in advanced]


def test_fields_that_mean_nothing_are_skipped() -> None:
    config = VmConfig()
    assert relevant(BY_FLAG["iso-storage"], config)
    config.os.media = "none"
    assert not relevant(BY_FLAG["iso-storage"], config)
    config.system.bios = "seabios"
    assert not relevant(BY_FLAG["efidisk"], config)
    assert not relevant(BY_FLAG["secure-boot"], config)
    config.network.model = "e1000"
    assert not relevant(BY_FLAG["mtu"], config)
    config.network.enabled = False
    assert not relevant(BY_FLAG["bridge"], config)
    assert relevant(BY_FLAG["network"], config)
    config.memory.ballooning = False
    assert not relevant(BY_FLAG["min-memory"], config)

"""The simulator's prune marks follow pve-storage's rules (src/PVE/Storage.pm prune_mark_backup_group and
src/PVE/Storage/Plugin.pm prune_backups): a table of backup dates worked out by hand, and properties."""

from __future__ import annotations

import calendar
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pvectl.sim.backups import KEEP_RULES, archive_name, prune_marks


def at(text: str) -> int:
    return calendar.timegm(__import__("time").strptime(text, "%Y-%m-%d %H:%M"))


DATES = {
    "A": "2025-01-31 23:00",  # Friday of ISO week 2025-W05
    "B": "2025-01-31 12:00",
    "C": "2025-01-30 23:00",
    "D": "2025-01-30 10:00",
    "E": "2025-01-29 23:00",
    "F": "2025-01-22 23:00",  # 2025-W04
    "G": "2024-12-31 23:00",  # a 2024 date in ISO week 2025-W01
    "H": "2024-06-01 00:00",
}


def backups(protected: str = "", vmid: int = 100) -> list[dict[str, Any]]:
    out = []
    for label, when in DATES.items():
        ctime = at(when)
        volid = f"nfs:backup/{archive_name('qemu', vmid, ctime, 'zstd')}"
        out.append({"volid": volid, "ctime": ctime, "vmid": vmid, "protected": label in protected, "label": label})
    return out


def marks(keep: dict[str, int], protected: str = "") -> dict[str, str]:
    given = backups(protected)
    by_volid = {b["volid"]: b["label"] for b in given}
    return {by_volid[m["volid"]]: m["mark"] for m in prune_marks(given, keep)}


FULL = {"keep-last": 1, "keep-daily": 2, "keep-weekly": 2, "keep-monthly": 2, "keep-yearly": 2}


def test_every_rule_in_turn() -> None:
    # keep-last: A. daily: A's day is covered; C (30th) and E (29th) are new days, D repeats C's day, F would be a
    # third day: the rule stops. weekly: W05 is covered; F (W04) and G (W01 of 2025!) are new. monthly: H (June).
    assert marks(FULL) == dict(A="keep", B="remove", C="keep", D="remove", E="keep", F="keep", G="keep", H="keep")


def test_a_protected_backup_stays_and_covers_no_period() -> None:
    got = marks(FULL, protected="C")
    # C is protected, so the 30th is still uncovered: D is kept in its place
    assert got == dict(A="keep", B="remove", C="protected", D="keep", E="keep", F="keep", G="keep", H="keep")


def test_keep_last_only() -> None:
    assert marks({"keep-last": 3}) == dict(
        A="keep", B="keep", C="keep", D="remove", E="remove", F="remove", G="remove", H="remove"
    )


def test_keep_hourly() -> None:
    day = [at("2025-03-01 10:05"), at("2025-03-01 10:30"), at("2025-03-01 11:00")]
    given = [{"volid": f"nfs:backup/{archive_name('qemu', 100, c, None)}", "ctime": c, "vmid": 100} for c in day]
    got = [m["mark"] for m in prune_marks(given, {"keep-hourly": 2})]
    assert got == ["remove", "keep", "keep"]


def test_no_positive_option_or_keep_all_keeps_everything_but_protected_stays_protected() -> None:
    assert set(marks({}).values()) == {"keep"}
    assert set(marks({"keep-last": 0}).values()) == {"keep"}
    got = marks({"keep-all": 1, "keep-last": 1}, protected="B")
    assert got.pop("B") == "protected" and set(got.values()) == {"keep"}


def test_a_renamed_archive_is_never_pruned_and_groups_are_per_guest() -> None:
    given = backups() + backups(vmid=101)
    given.append({"volid": "nfs:backup/vzdump-qemu-100-before-upgrade.vma.zst", "ctime": at("2020-01-01 00:00")})
    result = prune_marks(given, {"keep-last": 1})
    renamed = [m for m in result if "before-upgrade" in m["volid"]]
    assert renamed[0]["mark"] == "renamed"
    kept = sorted(m["vmid"] for m in result if m["mark"] == "keep")
    assert kept == [100, 101]  # the newest of each guest


START = at("2020-01-01 00:00")


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=3 * 365 * 86400), min_size=1, max_size=30, unique=True),
    protected=st.lists(st.booleans(), min_size=30, max_size=30),
    keep=st.fixed_dictionaries({}, optional={rule: st.integers(min_value=0, max_value=5) for rule in KEEP_RULES}),
)
def test_never_removes_a_protected_or_the_newest_backup(
    offsets: list[int], protected: list[bool], keep: dict[str, int]
) -> None:
    given: list[dict[str, Any]] = [
        {
            "volid": f"nfs:backup/{archive_name('qemu', 100, START + o, 'zstd')}",
            "ctime": START + o,
            "vmid": 100,
            "protected": p,
        }
        for o, p in zip(offsets, protected, strict=False)
    ]
    result = {m["volid"]: m["mark"] for m in prune_marks(given, keep)}
    assert set(result.values()) <= {"keep", "remove", "protected"}
    for entry in given:
        if entry["protected"]:
            assert result[entry["volid"]] == "protected"
    unprotected = sorted((e for e in given if not e["protected"]), key=lambda e: -e["ctime"])
    if unprotected:
        assert result[unprotected[0]["volid"]] == "keep"  # the newest is in every rule's first period
    kept = sum(1 for e in unprotected if result[e["volid"]] == "keep")
    if any(keep.values()):
        assert kept <= sum(keep.values())  # each rule keeps at most its count
        if keep.get("keep-last"):
            assert kept >= min(keep["keep-last"], len(unprotected))
            newest = unprotected[: keep["keep-last"]]
            assert all(result[e["volid"]] == "keep" for e in newest)
    else:
        assert kept == len(unprotected)
    again = {m["volid"]: m["mark"] for m in prune_marks(list(reversed(given)), keep)}
    assert again == result  # the marks do not depend on the listing's order


def test_weeks_are_iso_weeks_across_the_new_year() -> None:
    # 2024-12-30 (Monday) and 2025-01-02 are both in ISO week 2025-W01 (strftime %G/%V, as PVE)
    days = [at("2025-01-02 01:00"), at("2024-12-30 01:00"), at("2024-12-20 01:00")]
    given = [{"volid": f"nfs:backup/{archive_name('qemu', 100, c, None)}", "ctime": c, "vmid": 100} for c in days]
    assert [m["mark"] for m in prune_marks(given, {"keep-weekly": 2})] == ["keep", "remove", "keep"]

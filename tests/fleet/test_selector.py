"""Selector parsing and matching (pure): hypothesis over tag sets against a plain set-based model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pvectl.vm.lookup import VmNotFound, VmRef
from pvectl.vm.selector import Selector, SelectorError, Term, parse_terms

TAGS = st.sampled_from(["web", "lab", "prod", "db", "x-1"])


def vm(vmid: int, tags: tuple[str, ...] = (), **raw: str) -> VmRef:
    return VmRef(
        vmid=vmid,
        node=raw.get("node", "pve1"),
        name=raw.get("name", f"vm{vmid}"),
        status=raw.get("status", "running"),
        tags=tags,
        raw=dict(raw),
    )


@given(
    st.lists(st.frozensets(TAGS), min_size=0, max_size=12),
    st.frozensets(TAGS, max_size=2),
    st.frozensets(TAGS, max_size=2),
)
def test_tag_terms_match_the_set_model(
    tag_sets: list[frozenset[str]], want: frozenset[str], avoid: frozenset[str]
) -> None:
    vms = [vm(100 + i, tuple(sorted(tags))) for i, tags in enumerate(tag_sets)]
    text = ",".join([f"tag={t}" for t in sorted(want)] + [f"tag!={t}" for t in sorted(avoid)])
    if not text:
        return
    chosen = Selector.build(selectors=[text]).select(vms)
    expected = [v for v in vms if want <= set(v.tags) and not (avoid & set(v.tags))]
    assert chosen == expected


@given(st.lists(st.frozensets(TAGS), max_size=8), TAGS)
def test_tag_and_not_tag_partition(tag_sets: list[frozenset[str]], tag: str) -> None:
    vms = [vm(100 + i, tuple(tags)) for i, tags in enumerate(tag_sets)]
    with_tag = Selector.build(selectors=[f"tag={tag}"]).select(vms)
    without = Selector.build(selectors=[f"tag!={tag}"]).select(vms)
    assert sorted([*with_tag, *without], key=lambda v: v.vmid) == vms
    assert not set(v.vmid for v in with_tag) & set(v.vmid for v in without)


def test_parse_terms() -> None:
    assert parse_terms("tag=web, tag!=lab") == (Term("tag", "web"), Term("tag", "lab", True))


@pytest.mark.parametrize("bad", ["tag", "tag=", "colour=red", ",", "=web"])
def test_bad_selectors_name_the_flag(bad: str) -> None:
    with pytest.raises(SelectorError, match="-l/--selector"):
        parse_terms(bad)


def test_flags_and_ids_combine() -> None:
    vms = [
        vm(100, ("web",), name="web-a", node="pve1", pool="prod"),
        vm(101, ("web",), name="web-b", node="pve2", status="stopped"),
        vm(102, ("db",), name="db-a", node="pve1", pool="prod"),
    ]
    assert [v.vmid for v in Selector.build(name="web-*").select(vms)] == [100, 101]
    assert [v.vmid for v in Selector.build(pool="prod", node="pve1").select(vms)] == [100, 102]
    assert [v.vmid for v in Selector.build(status="stopped").select(vms)] == [101]
    assert [v.vmid for v in Selector.build(["db-a", "100"]).select(vms)] == [100, 102]
    for criteria in ({"node": "pve1"}, {"selectors": ["tag=lab"]}, {"status": "running"}):  # issue 28: no silent no-op
        with pytest.raises(SelectorError, match="cannot be combined with -l/--selector"):
            Selector.build(["101"], **criteria)
    assert [v.vmid for v in Selector.build(all=True).select(vms)] == [100, 101, 102]
    assert Selector.build().empty and Selector.build(["web-a"]).single and not Selector.build(["a", "b"]).single
    with pytest.raises(VmNotFound):
        Selector.build(["nope"]).select(vms)
    with pytest.raises(SelectorError, match="--all"):
        Selector.build(["100"], all=True)

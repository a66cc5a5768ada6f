"""One label table per choice: the prompts and the TUI show the same label for the same PVE code."""

from __future__ import annotations

import pytest

from pvectl.prompts.questions import fixed_options as prompt_options
from pvectl.tui.state import fixed_options as tui_options
from pvectl.vm.fields import DISK_FIELDS, FIELDS, FieldSpec
from pvectl.vm.labels import LABELS

CHOICES = [f for f in (*FIELDS, *DISK_FIELDS) if f.kind == "choice" and f.choices]


@pytest.mark.parametrize("spec", CHOICES, ids=lambda s: s.path)
def test_every_label_names_the_same_code_in_both_front_ends(spec: FieldSpec) -> None:
    tui = {label: code for label, code in tui_options(spec)}
    prompts = {code: title for code, title in prompt_options(spec)}
    assert len(tui) == len(spec.choices), f"two codes share a label: {tui}"
    for label, code in tui.items():
        assert prompts[code].startswith(label), (label, code, prompts[code])
    # every fixed choice has its label in the shared table (no front-end invents one)
    assert set(LABELS[spec.path]) >= set(spec.choices)


def test_vista_is_w2k8_as_in_the_gui() -> None:
    ostype = next(f for f in FIELDS if f.path == "os.ostype")
    assert dict(tui_options(ostype))["Windows Vista/2008"] == "w2k8"
    assert dict(prompt_options(ostype))["w2k8"].startswith("Windows Vista/2008")

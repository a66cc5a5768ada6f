"""How the typed methods name PVE's parameters, shared by the code generator and the runtime.

The generator names each keyword argument with :func:`keyword_names`; :func:`pvectl.sdk.lib.pve_call` reads PVE-
spelled parameters (``prune-backups``, ``net0``, ``delete``) back onto those keyword arguments with the same
function, so the two cannot drift apart.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

RESERVED_ARGS = frozenset({"self", "indexed"})  # the generated methods' own names


def snake(name: str) -> str:
    """PVE name -> snake_case text (not yet checked against reserved words)."""
    text = re.sub(r"\[n\]$", "", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()
    text = re.sub(r"[^0-9a-z_]+", "_", text)
    return text.strip("_") or "value"


def attr_ident(name: str) -> str:
    """A Python name for a method, attribute or keyword argument: snake_case, a keyword gets a trailing ``_``,
    a leading digit a leading ``n``; builtins are fine (``agent.exec()``, ``type="vm"`` read naturally)."""
    ident = snake(name)
    if ident[0].isdigit():
        ident = "n" + ident
    if keyword.iskeyword(ident):
        ident += "_"
    return ident


def keyword_names(params: Iterable[str], path_params: Iterable[str] = ()) -> dict[str, str]:
    """PVE parameter name -> keyword argument of the typed method, for one operation's parameters.

    In name order, each takes :func:`attr_ident` of its name, with ``_`` appended while that is taken
    (``numa`` -> ``numa``, then ``numa[n]`` -> ``numa_``); path parameters are not keyword arguments."""
    skip = set(path_params)
    used = set(RESERVED_ARGS)
    out: dict[str, str] = {}
    for name in sorted(params):
        if name in skip:
            continue
        ident = attr_ident(name)
        while ident in used:
            ident += "_"
        used.add(ident)
        out[name] = ident
    return out

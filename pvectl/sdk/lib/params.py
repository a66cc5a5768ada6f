"""Call a typed method with parameters spelled as PVE spells them.

The typed methods take Python keyword arguments (``prune_backups=``, ``net={0: ...}``), but PVE-named data is
common: a config read from the server, a YAML file, ``key=value`` pairs a user typed (``prune-backups``,
``net0``, ``delete``, ``digest``). :func:`pve_call` maps each name onto the method's own keyword argument by
the generator's naming rule (:mod:`pvectl.sdk._core.names`), so what is sent is exactly the mapping given,
checked against the schema like any typed call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

R = TypeVar("R")

NOT_DEFINED = "property is not defined in schema and the schema does not allow additional properties"


def pve_kwargs(method: Callable[..., Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` (PVE names) as keyword arguments of ``method``, a typed method of a resource
    (``client.nodes("pve1").qemu(100).config.set``). Raises ValidationError naming a parameter the method's
    operation does not have (nothing is sent)."""
    from pvectl.sdk._core.errors import ValidationError
    from pvectl.sdk._core.names import keyword_names
    from pvectl.sdk._core.spec import load_spec
    from pvectl.sdk._core.validate import family_of

    key = _operation(method)
    op = load_spec().op(key)
    names = keyword_names(op.params, op.path_params)
    kwargs: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in params.items():
        if name in names:
            kwargs[names[name]] = value
        elif family_of(name, op.params) is not None:
            kwargs[name] = value  # net0: a member of an indexed family, a keyword of its own
        elif name in op.path_params:
            errors[name] = "a path value: it is given by the navigation, not as a parameter"
        else:
            errors[name] = NOT_DEFINED
    if errors:
        raise ValidationError(errors, key)
    return kwargs


def pve_call(method: Callable[..., R], params: Mapping[str, Any]) -> R:
    """Call ``method`` with PVE-named ``params``; returns what the method returns (a Task, a model, ...).

    Works for the async client too (``await pve_call(aclient.nodes("pve1").qemu(100).config.set, params)``).

        pve_call(client.nodes("pve1").qemu(100).config.set, {"net0": "virtio,bridge=vmbr0", "delete": "ide2"})
    """
    return method(**pve_kwargs(method, params))


def _operation(method: Callable[..., Any]) -> str:
    """The API operation behind a bound typed method (``PUT /nodes/{node}/qemu/{vmid}/config``)."""
    resource = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    ops: Mapping[str, str] = getattr(type(resource), "_ops", {})
    if resource is None or name not in ops or not inspect.ismethod(method):
        raise TypeError(f"pve_call needs a typed SDK method such as client.nodes(n).qemu(v).config.set, got {method!r}")
    return ops[name]

"""Laziness must not hide a broken module; `import pvectl.sdk` must not load generated code."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pvectl.sdk.models
import pvectl.sdk.resources


def test_every_generated_module_imports() -> None:
    count = 0
    for package in (pvectl.sdk.resources, pvectl.sdk.models):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            assert module.__doc__
            count += 1
    assert count > 250


def test_import_sdk_loads_no_generated_module() -> None:
    code = (
        "import sys, pvectl.sdk\n"
        "from pvectl.sdk import ProxmoxClient\n"
        "bad = [m for m in sys.modules if m.startswith(('pvectl.sdk.resources', 'pvectl.sdk.models', 'pydantic'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_first_navigation_loads_only_what_it_needs() -> None:
    code = (
        "import sys\n"
        "from pvectl.sdk import ProxmoxClient\n"
        "c = ProxmoxClient('pve1', token='u@pam!t=s')\n"
        "c.nodes('pve1').qemu\n"
        "print(sorted(m for m in sys.modules if m.startswith('pvectl.sdk.resources.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['pvectl.sdk.resources.nodes', 'pvectl.sdk.resources.nodes_qemu']"


def test_root_namespaces_match_the_schema() -> None:
    from pvectl.sdk import ProxmoxClient
    from pvectl.sdk._core.spec import load_spec

    top = {p.strip("/").split("/")[0] for p in load_spec().paths}
    assert top == {"access", "cluster", "nodes", "pools", "storage", "version"}
    for name in top:
        assert hasattr(ProxmoxClient, name)

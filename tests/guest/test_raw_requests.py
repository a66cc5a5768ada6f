"""pvectl is its own typed SDK's first user: at most 10 raw requests (a method and path sent as strings) remain
outside pvectl/sdk and pvectl/sim, each with a ``# raw request: why`` comment on its line or the line above.

A raw request is a call of ``.request``/``.arequest``/``.raw_request``/``._call`` on anything, one of these
methods of a client handed on as a function (``_values(client.request, ...)``), or a call of
``guest.wire.send_planned``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "pvectl"
METHODS = {"request", "arequest", "raw_request", "_call"}
LIMIT = 10
MARK = "# raw request:"


def raw_sites(source: str) -> list[int]:
    """Line numbers of the raw requests in one module's source."""
    tree = ast.parse(source)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in METHODS:
            if id(node) in called or "client" in ast.unparse(node.value).lower():
                lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "send_planned" and id(node) in called:
            lines.append(node.lineno)
    return sorted(lines)


def commented(source: str, line: int) -> bool:
    text = source.splitlines()
    return any(MARK in text[n - 1] for n in (line, line - 1) if n >= 1)


def all_sites() -> list[tuple[str, int, bool]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent)
        if rel.parts[1] in ("sdk", "sim"):
            continue
        source = path.read_text()
        found += [(str(rel), line, commented(source, line)) for line in raw_sites(source)]
    return found


def test_at_most_ten_raw_requests_outside_the_sdk() -> None:
    sites = all_sites()
    assert len(sites) <= LIMIT, "\n".join(f"{path}:{line}" for path, line, _ in sites)


def test_every_raw_request_says_why() -> None:
    bare = [f"{path}:{line}" for path, line, ok in all_sites() if not ok]
    assert bare == [], f"raw requests without a '{MARK} why' comment: {bare}"


def test_the_scan_finds_each_form() -> None:
    source = (
        "def f(client, job):\n"
        "    client.request('GET', '/nodes')\n"
        "    x = job.request  # a property, not a request\n"
        "    g(client.raw_request)\n"
        "    client._call('GET /version', (), {})\n"
        "    send_planned(client, 'POST', '/x', {})\n"
        "    # raw request: a reason\n"
        "    client.request('GET', '/version')\n"
    )
    assert raw_sites(source) == [2, 4, 5, 6, 8]
    assert [commented(source, n) for n in raw_sites(source)] == [False, False, False, False, True]

"""`pvectl ct` help and TAB stay light: no pydantic, httpx, yaml or SDK imports before a command runs."""

from __future__ import annotations

from tests.cli._subproc import bash_complete, pvectl
from tests.cli.test_startup import heavy


def test_ct_help_imports_nothing_heavy() -> None:
    for args in (("ct", "--help"), ("ct", "create", "--help"), ("ct", "template", "list", "--help")):
        run = pvectl(*args)
        assert run.code == 0, run.stderr
        assert heavy(run.modules) == [], args


def test_tab_on_ct_create_imports_nothing_heavy() -> None:
    run = bash_complete("pvectl ct create --")
    assert run.code == 0, run.stderr
    assert "--template" in run.stdout.split() and "--mp" in run.stdout.split()
    assert heavy(run.modules) == []

"""`codegen import --all` without the raw dumps beside the project says so (they are not part of it)."""

from __future__ import annotations

import pytest

from codegen import importer
from codegen.__main__ import main


def test_import_all_without_dumps_names_the_missing_directory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importer, "default_sources", lambda *a, **k: [])
    assert main(["import", "--all"]) == 2
    err = capsys.readouterr().err
    assert "import --all: no pve-*-apidata.js dumps in" in err
    assert "give dump paths/URLs or --all" not in err

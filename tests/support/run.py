"""What one `pvectl` run printed and how it exited: one type for in-process and subprocess runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def exit_code(self) -> int:
        return self.code

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

"""Real questionary prompts driven through a prompt_toolkit pipe; the CLI runs against the simulator
(the ``cli`` and ``seeded`` fixtures of tests/support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput


@pytest.fixture
def term() -> Iterator[PipeInput]:
    """A terminal for the prompts: keys sent to the pipe are typed ahead; a closed pipe ends the input."""
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield pipe

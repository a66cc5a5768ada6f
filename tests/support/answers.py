"""A scripted person at the prompts of `vm create -i` and `pvectl login`.

Every question of pvectl/prompts goes through pvectl/prompts/ask.py, which builds it with one of questionary's
five constructors (text, password, confirm, select, checkbox). ``Script`` stands in for those constructors and
answers by question label, so a flow test runs in this process without building a prompt_toolkit application
for each question (about 60 ms of CPU apiece); ``ask()`` itself, with its Esc and Ctrl-C handling, still runs.
Key handling is what this skips: keep such tests on real questionary (the ``term`` pipe of tests/prompts) and
the terminals on the pty tests.

    script = scripted(Name="web5", **{"Memory (MiB)": again("lots", "4096")})

A label is the question's, exactly (``script.asked`` lists them); an answer is a value or a title of a select's
choices; unscripted questions take their default, as Enter does. ``again(a, b)`` answers
the same question twice (the first is refused by its validator); ``ESCAPE`` and ``CTRL_C`` press those keys.
Answers left over when the test ends fail it: a misspelt label does not pass silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

ESCAPE = object()
CTRL_C = object()


@dataclass(frozen=True)
class Again:
    answers: tuple[Any, ...]


def again(*answers: Any) -> Again:
    """Successive answers to one question (the validator refuses all but the last)."""
    return Again(answers)


@dataclass
class Asked:
    kind: str  # text, password, confirm, select, checkbox
    label: str
    answer: Any
    refused: list[str] = field(default_factory=list)  # the validator's messages before the answer


def _title(choice: Any) -> str:
    title = choice.title
    return title if isinstance(title, str) else "".join(part[1] for part in title)


class Script:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.pending: dict[str, list[Any]] = {
            label: list(a.answers) if isinstance(a, Again) else [a] for label, a in answers.items()
        }
        self.asked: list[Asked] = []

    def labels(self) -> list[str]:
        return [a.label for a in self.asked]

    def _take(self, label: str) -> tuple[bool, Any]:
        queue = self.pending.get(label)
        if queue is None:
            return False, None
        value = queue.pop(0)
        if not queue:
            del self.pending[label]
        return True, value

    def _question(self, kind: str, label: str, decide: Callable[[bool, Any], Any]) -> Any:
        def unsafe_ask() -> Any:
            given, value = self._take(label)
            if value is ESCAPE:
                from pvectl.prompts.ask import Escaped

                raise Escaped
            if value is CTRL_C:
                raise KeyboardInterrupt
            asked = Asked(kind, label, None)
            self.asked.append(asked)
            asked.answer = decide(given, value) if kind != "text" else decide(given, (value, asked))
            return asked.answer

        return SimpleNamespace(application=SimpleNamespace(key_bindings=None), unsafe_ask=unsafe_ask)

    # questionary's constructors, as pvectl/prompts/ask.py calls them

    def text(
        self, label: str, default: str = "", validate: Any = None, instruction: str | None = None, **_: Any
    ) -> Any:
        def decide(given: bool, value_and_record: tuple[Any, Asked]) -> str:
            value, asked = value_and_record
            answer = str(value) if given else default
            while validate is not None and (verdict := validate(answer)) is not True:
                asked.refused.append(str(verdict))
                given, value = self._take(label)
                if not given:
                    raise AssertionError(f"{label!r}: {answer!r} refused ({verdict}) and no other answer scripted")
                answer = str(value)
            return answer

        return self._question("text", label, decide)

    def password(self, label: str, **_: Any) -> Any:
        return self._question("password", label, lambda given, value: str(value) if given else "")

    def confirm(self, label: str, default: bool = True, **_: Any) -> Any:
        return self._question("confirm", label, lambda given, value: bool(value) if given else default)

    def select(self, label: str, choices: Sequence[Any], default: Any = None, **_: Any) -> Any:
        def decide(given: bool, value: Any) -> Any:
            if not given:
                return default
            for c in choices:
                if value in (c.value, _title(c)):
                    if c.disabled:
                        raise AssertionError(f"{label!r}: {value!r} is disabled ({c.disabled})")
                    return c.value
            raise AssertionError(f"{label!r}: no choice {value!r} in {[c.value for c in choices]}")

        return self._question("select", label, decide)

    def checkbox(self, label: str, choices: Sequence[Any], **_: Any) -> Any:
        def decide(given: bool, value: Any) -> list[Any]:
            if not given:
                return [c.value for c in choices if c.checked]
            by_name = {**{_title(c): c.value for c in choices}, **{c.value: c.value for c in choices}}
            missing = [v for v in value if v not in by_name]
            assert not missing, f"{label!r}: no choices {missing}"
            return [by_name[v] for v in value]

        return self._question("checkbox", label, decide)

    def __getattr__(self, name: str) -> Any:  # Choice, Question ... stay questionary's
        import questionary

        return getattr(questionary, name)

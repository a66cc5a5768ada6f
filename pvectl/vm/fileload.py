"""Reading VM files (``apply -f``, ``diff -f``, ``vm create --from-file``) with bounds: nothing a file holds can
hang pvectl, exhaust its memory or crash it, and a key given twice is an error instead of silently last-wins.

- at most MAX_FILE_BYTES are read (``-f /dev/zero`` stops there), and the text must be UTF-8 without NUL bytes;
- nesting deeper than MAX_DEPTH is refused while the YAML is composed (PyYAML's composer recurses per level);
- aliases may not expand to more than MAX_ALIAS_VALUES values (a few hundred bytes of nested aliases otherwise stand
  for billions of values), nor refer to themselves;
- a mapping key given twice (YAML or JSON) is refused with both lines.

Every error is a FileLoadError whose message names the source (e.g. ``-f vms.yaml``) and, where known, the line.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1024 * 1024  # a VM is a few hundred bytes: this is thousands of VMs
MAX_DEPTH = 32  # the nested form is 4 levels deep; a list of them 5
MAX_ALIAS_VALUES = 100_000  # values aliases stand for, expanded (`<<: *base` of 20 keys in 1,000 VMs: 20,000)
_MERGE = "tag:yaml.org,2002:merge"


class FileLoadError(ValueError):
    """A VM file that cannot be read as it is; the message names the file and, where known, the line."""


def read_bounded(path: str, source: str, *, dash_is_stdin: bool = True, stdin: IO[bytes] | None = None) -> str:
    """The text of ``path`` (``-``: standard input), read with a bound: at most MAX_FILE_BYTES of UTF-8 text."""
    try:
        if path == "-" and dash_is_stdin:
            data = (stdin or sys.stdin.buffer).read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise FileLoadError(f"{source}: {exc.strerror or exc}") from None
    return decode(data, source)


def decode(data: bytes, source: str) -> str:
    """``data`` as text, or FileLoadError: larger than the cap, a NUL byte (a binary file), not UTF-8."""
    nul = data.find(b"\0", 0, MAX_FILE_BYTES)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise FileLoadError(f"{source}: line {line}: a NUL byte: not a text file")
    if len(data) > MAX_FILE_BYTES:
        raise FileLoadError(f"{source}: larger than {MAX_FILE_BYTES // 1024} KiB, the limit for a VM file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileLoadError(f"{source}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None


class _BoundedComposer(yaml.parser.Parser, Composer):
    """PyYAML's parser and composer, with a depth cap, an alias-expansion cap and duplicate keys refused."""

    def __init__(self) -> None:
        yaml.parser.Parser.__init__(self)
        Composer.__init__(self)
        self._depth = 0
        self._size: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
        self._levels: dict[int, int] = {}  # id(node) -> levels of lists and mappings, aliases expanded
        self._aliased = 0  # values the document's aliases stand for, expanded

    def compose_document(self) -> Node | None:
        self._depth, self._size, self._levels, self._aliased = 0, {}, {}, 0
        node: Node | None = super().compose_document()
        return node

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            target = self.anchors.get(event.anchor) if event.anchor is not None else None
            if target is not None:
                if id(target) not in self._size:  # its own content: it never ends
                    raise _Refused(f"alias *{event.anchor} refers to the value it is in", event.start_mark)
                self._aliased += self._size[id(target)]
                if self._aliased > MAX_ALIAS_VALUES:
                    raise _Refused(f"aliases expand to more than {MAX_ALIAS_VALUES} values", event.start_mark)
        opens = self.check_event(SequenceStartEvent, MappingStartEvent)
        if opens:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", mark)
        node: Node | None = super().compose_node(parent, index)
        if opens:
            self._depth -= 1
        if node is not None:
            self._measure(node)
        return node

    def _measure(self, node: Node) -> None:
        """Values and levels ``node`` stands for with its aliases expanded (an alias's target is measured)."""
        if id(node) in self._size:
            return
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                children += (key, value)
                if isinstance(key, ScalarNode) and key.tag != _MERGE:  # '<<: *base' merges; explicit keys win
                    ident = (key.tag, key.value)
                    if ident in seen:
                        problem = f"key {key.value[:60]!r} is given twice (first on line {seen[ident]})"
                        raise _Refused(problem, key.start_mark)
                    seen[ident] = key.start_mark.line + 1
        size = 1 + sum(self._size.get(id(child), 1) for child in children)
        levels = 0
        if not isinstance(node, ScalarNode):
            levels = 1 + max((self._levels.get(id(child), 0) for child in children), default=0)
        if levels > MAX_DEPTH:
            raise _Refused(f"aliases expand to more than {MAX_DEPTH} levels of nesting", node.start_mark)
        self._size[id(node)], self._levels[id(node)] = size, levels


class _Refused(Exception):
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem, self.mark = problem, mark


class _Loader(yaml.reader.Reader, yaml.scanner.Scanner, _BoundedComposer, yaml.constructor.SafeConstructor,
              yaml.resolver.Resolver):  # fmt: skip
    """SafeLoader with the bounded composer (the pure-Python classes: the C loader's composer cannot be bounded)."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        _BoundedComposer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}: " if mark is not None else ""


def yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """A YAML error as line, column and what, without PyYAML's ``in "<unicode string>"`` (the caller names the
    file) and the context it was in (``while parsing a flow sequence``)."""
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = exc.problem or exc.context or "unreadable"
    context = f" ({exc.context})" if exc.context and exc.problem else ""
    return f"{where}{problem}{context}"


def yaml_documents(text: str, source: str) -> list[Any]:
    """Every YAML document of ``text`` (JSON is YAML too), bounded as the module says."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        out = []
        while loader.check_data():  # type: ignore[no-untyped-call]
            out.append(loader.get_data())
        _no_lone_surrogate(text, out, source)
        return out
    except _Refused as exc:
        raise FileLoadError(f"{source}: {_where(exc.mark)}{exc.problem}") from None
    except yaml.MarkedYAMLError as exc:
        raise FileLoadError(f"{source}: not valid YAML: {yaml_problem(exc)}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise FileLoadError(f"{source}: line {line}: character 0x{exc.character:02x} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise FileLoadError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    finally:
        if loader is not None:
            loader.dispose()


def yaml_document(text: str, source: str) -> Any:
    """The one YAML document of ``text`` (None when empty); several are an error."""
    docs = yaml_documents(text, source)
    if len(docs) > 1:
        raise FileLoadError(f"{source}: {len(docs)} YAML documents; a VM file for this command holds one VM")
    return docs[0] if docs else None


def json_document(text: str, source: str) -> Any:
    """``text`` as JSON, bounded in depth and with duplicate keys refused (json.loads keeps the last one)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _Refused(f"key {key[:60]!r} is given twice in one object", None)
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except _Refused as exc:
        raise FileLoadError(f"{source}: {exc.problem}") from None
    except json.JSONDecodeError as exc:
        raise FileLoadError(f"{source}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:  # the C decoder recurses per level and stops at the interpreter's limit
        raise FileLoadError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    if depth(data) > MAX_DEPTH:
        raise FileLoadError(f"{source}: nested deeper than {MAX_DEPTH} levels")
    _no_lone_surrogate(text, data, source)
    return data


def _no_lone_surrogate(text: str, data: Any, source: str) -> None:
    """A ``\\ud800`` escape without its pair reads as half a character, which no output can write: refused."""
    if "\\u" not in text and "\\U" not in text:  # YAML also writes it \\U0000D800
        return
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            lone = next((char for char in item if "\ud800" <= char <= "\udfff"), None)
            if lone is not None:
                raise FileLoadError(f"{source}: \\u{ord(lone):04x} is half of a UTF-16 pair, not a character")
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item


def depth(data: Any) -> int:
    """How deeply lists and mappings nest in ``data`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest

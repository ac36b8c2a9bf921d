"""Read YAML keeping the line of every key, so errors can say where in the file they are.

Hostile or broken files end in one :class:`~pricing.errors.InputError` naming the file and line,
checked while the document is composed and before any value is built:

* size: at most :data:`MAX_YAML_BYTES`;
* nesting: at most :data:`MAX_DEPTH` levels of lists and mappings;
* aliases: an alias inside the node it refers to (``workloads: &w [..., *w]``) never ends and is refused;
  and the document, with every alias expanded, may hold at most :data:`MAX_VALUES` values (a "billion
  laughs" file of nested aliases is refused at the line where it passes that);
* values YAML can build but no field here takes: ``!!binary`` data, integers too long to convert.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from pricing.errors import InputError
from pricing.textfile import read_text_file

Path_ = tuple[str | int, ...]

MAX_YAML_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 100_000

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def path_text(at: Path_) -> str:
    """``('workloads', 0, 'name')`` -> ``workloads[0].name``; keys that are not plain names are quoted."""
    out = ""
    for p in at:
        if isinstance(p, int) and not isinstance(p, bool):
            out += f"[{p}]"
        else:
            key = p if isinstance(p, str) and _PLAIN_KEY.match(p) else repr(p)
            out += ("." if out else "") + key
    return out


def _field(at: Path_, line: int) -> str:
    where = path_text(at)
    return f"{where} (line {line})" if where else f"line {line}"


@cache
def _loader_class() -> Any:
    """A safe loader whose composer enforces the limits above.

    With libyaml the events come from its C parser (several times faster) and the composer is PyYAML's
    Python one with the checks added; without it, PyYAML's pure-Python loader.
    """
    import yaml
    from yaml.composer import Composer
    from yaml.events import AliasEvent

    class LimitError(yaml.MarkedYAMLError):
        """A document past one of the limits above (not a syntax error)."""

    base: Any = yaml.SafeLoader
    if getattr(yaml, "__with_libyaml__", False):
        from yaml._yaml import CParser

        class CEventLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc]
            byte_positions = True

            def __init__(self, stream: str) -> None:
                CParser.__init__(self, stream)
                yaml.constructor.SafeConstructor.__init__(self)
                yaml.resolver.Resolver.__init__(self)
                self.anchors: dict[str, Any] = {}

            get_single_node = Composer.get_single_node
            compose_document = Composer.compose_document
            compose_scalar_node = Composer.compose_scalar_node
            compose_sequence_node = Composer.compose_sequence_node
            compose_mapping_node = Composer.compose_mapping_node

        base = CEventLoader

    class LimitedLoader(base):  # type: ignore[misc, valid-type]
        limit_error = LimitError

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._depth = 0
            self._open_anchors: set[str] = set()
            self._sizes: dict[int, int] = {}  # id(collection node) -> values in it, aliases expanded
            self._composed = 0  # nodes written out in the file so far

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, AliasEvent):
                if event.anchor in self._open_anchors:
                    raise LimitError(None, None, f"alias *{event.anchor} is inside the node &{event.anchor} it "
                                     "refers to, so the value never ends; refer to a node defined before it",
                                     event.start_mark)
                return Composer.compose_node(self, parent, index)
            if self._depth >= MAX_DEPTH:
                raise LimitError(None, None, f"nested more than {MAX_DEPTH} levels deep; no field here needs "
                                 "that, so check the brackets and indentation", event.start_mark)
            anchor, composed_before = event.anchor, self._composed
            self._composed += 1
            self._depth += 1
            if anchor is not None:
                self._open_anchors.add(anchor)
            try:
                node = Composer.compose_node(self, parent, index)
            finally:
                self._depth -= 1
                if anchor is not None:
                    self._open_anchors.discard(anchor)
            if isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._sizes.get(id(v), 1) for v in node.value)
            elif isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value)
            else:
                return node
            # the values written out are bounded by the file's size; aliases can repeat a node many times
            if size - (self._composed - composed_before) > MAX_VALUES:
                raise LimitError(None, None, f"with its aliases expanded this holds more than {MAX_VALUES:,} "
                                 "values; write the values out or use fewer nested aliases", node.start_mark)
            self._sizes[id(node)] = size
            return node

    return LimitedLoader


def load_yaml(path: Path, *, what: str = "YAML file") -> tuple[Any, dict[Path_, int]]:
    """Parse ``path``; return the data and a map from each key path to its 1-based line."""
    import yaml

    text = read_text_file(path, what=what, max_bytes=MAX_YAML_BYTES)
    where = str(path)
    loader_cls = _loader_class()
    loader = None
    try:
        loader = loader_cls(text)
        node = loader.get_single_node()
    except loader_cls.limit_error as exc:
        raise InputError(f"{exc.problem}", where=where, field=f"line {exc.problem_mark.line + 1}") from None
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in _problem(exc):  # libyaml's own limit, past ours in block style
            raise InputError(f"nested more than {MAX_DEPTH} levels deep; no field here needs that, so check the "
                             "brackets and indentation", where=where, field=_yaml_line(exc, text, False)) from None
        raise InputError(f"invalid YAML: {_problem(exc)}; fix the syntax there", where=where,
                         field=_yaml_line(exc, text, getattr(loader_cls, "byte_positions", False))) from None
    except RecursionError:  # a Python built with a small stack: still one line
        raise InputError(f"nested too deeply to read (more than {MAX_DEPTH} levels); check the brackets",
                         where=where) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    constructor = yaml.constructor.SafeConstructor()

    def scalar(n: Any, at: Path_) -> Any:
        line = n.start_mark.line + 1
        try:
            value = constructor.construct_object(n, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "digits" in reason:
                reason = "a number with too many digits"
            raise InputError(f"cannot read the value {n.value[:40]!r} ({reason}); write a plain number or text",
                             where=where, field=_field(at, line)) from None
        if isinstance(value, (bytes, bytearray)):
            raise InputError("binary data (!!binary) where a number or text belongs; write the value as plain "
                             "text", where=where, field=_field(at, line))
        return value

    def walk(n: Any, at: Path_) -> Any:
        lines.setdefault(at, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            explicit: dict[Any, int] = {}  # keys written here (not merged in with <<): each at most once
            for k, _ in n.value:
                if k.tag == "tag:yaml.org,2002:merge":
                    continue
                kline = k.start_mark.line + 1
                if not isinstance(k, yaml.ScalarNode):
                    raise InputError("a key must be a plain name", where=where, field=_field(at, kline))
                key = scalar(k, at)
                if key in explicit:
                    raise InputError(f"{key!r} appears twice (lines {explicit[key]} and {kline}); keep one",
                                     where=where, field=_field((*at, key), kline))
                explicit[key] = kline
            try:
                constructor.flatten_mapping(n)
            except yaml.YAMLError as exc:
                raise InputError(f"invalid merge (<<): {_problem(exc)}; merge a mapping or a list of mappings",
                                 where=where, field=_field(at, n.start_mark.line + 1)) from None
            out: dict[Any, Any] = {}
            for k, v in n.value:  # merged keys come first; explicit ones override them
                if not isinstance(k, yaml.ScalarNode):
                    raise InputError("a key must be a plain name", where=where,
                                     field=_field(at, k.start_mark.line + 1))
                key = scalar(k, at)
                lines[(*at, key)] = k.start_mark.line + 1
                out[key] = walk(v, (*at, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(v, (*at, i)) for i, v in enumerate(n.value)]
        return scalar(n, at)

    return walk(node, ()), lines


def _problem(exc: Any) -> str:
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return str(problem)


def _yaml_line(exc: Any, text: str, byte_positions: bool) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}"
    position = getattr(exc, "position", None)  # a ReaderError (a character YAML does not allow)
    if isinstance(position, int):
        head = text.encode("utf-8")[:position].decode("utf-8", "replace") if byte_positions else text[:position]
        return f"line {head.count(chr(10)) + 1}"
    return "YAML"

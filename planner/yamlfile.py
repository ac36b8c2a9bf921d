"""Read YAML keeping the line of every key, so errors can say where in the file they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.errors import InputError

Path_ = tuple[str | int, ...]


def load_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse ``path``; return the data and a map from each key path to its 1-based line."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found; check the path", where=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a scenario file", where=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", where=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML: {problem}; fix the syntax there", where=str(path), field=line) from None
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    constructor = yaml.constructor.SafeConstructor()

    def walk(n: Any, at: Path_) -> Any:
        lines.setdefault(at, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            explicit: dict[Any, int] = {}  # keys written here (not merged in with <<): each at most once
            for k, _ in n.value:
                if k.tag == "tag:yaml.org,2002:merge":
                    continue
                key = constructor.construct_object(k, deep=True)
                if isinstance(key, (dict, list)):
                    raise InputError(
                        "a key must be a plain name", where=str(path), field=f"line {k.start_mark.line + 1}"
                    )
                if key in explicit:
                    raise InputError(
                        f"{key!r} appears twice (lines {explicit[key]} and {k.start_mark.line + 1}); keep one",
                        where=str(path),
                        field=f"line {k.start_mark.line + 1}",
                    )
                explicit[key] = k.start_mark.line + 1
            constructor.flatten_mapping(n)
            out: dict[Any, Any] = {}
            for k, v in n.value:  # merged keys come first; explicit ones override them
                key = constructor.construct_object(k, deep=True)
                lines[(*at, key)] = k.start_mark.line + 1
                out[key] = walk(v, (*at, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(v, (*at, i)) for i, v in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    try:
        return walk(node, ()), lines
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", where=str(path)) from None

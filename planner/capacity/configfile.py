"""Read a Hugging Face ``config.json`` given with ``--model`` (or ``model:`` in a scenario), or say why not.

Every problem is one :class:`~planner.errors.InputError` whose ``where`` is the file itself (not its folder):
unreadable files (see :mod:`pricing.textfile`), invalid JSON with its line, nesting too deep, a top level
that is not an object, and numbers that are not numbers: ``NaN``, ``Infinity``, values that overflow
(``1e999``), subnormal dust (``5e-324``) and sizes beyond any model (more than :data:`MAX_CONFIG_NUMBER`).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from planner.errors import InputError

MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_CONFIG_NUMBER = 1e15  # far above any width, count or rope base in a real config
MAX_CONFIG_DEPTH = 32
# counts and widths the model reader takes from a config: whole numbers (0.5 heads is not a model)
WHOLE_NUMBER_KEYS = frozenset({
    "hidden_size", "n_embd", "d_model", "num_attention_heads", "n_head", "num_hidden_layers", "n_layer",
    "num_key_value_heads", "num_kv_heads", "intermediate_size", "n_inner", "ffn_dim", "vocab_size", "head_dim",
    "n_routed_experts", "num_local_experts", "num_experts", "num_experts_per_tok", "experts_per_token",
    "moe_topk", "moe_intermediate_size", "n_shared_experts", "shared_expert_intermediate_size",
    "intermediate_size_mlp", "kv_lora_rank", "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
    "v_head_dim", "sliding_window", "attention_chunk_size", "first_k_dense_replace",
    "interleave_moe_layer_step", "decoder_sparse_step", "sliding_window_pattern",
})


class _Constant:
    """``NaN``/``Infinity`` as written in the file, kept so the error can name its field."""

    def __init__(self, text: str) -> None:
        self.text = text


def read_config(path: str) -> dict[str, Any]:
    """The JSON object in ``path``, every number in it finite and in range."""
    from pricing.textfile import read_text_file

    text = read_text_file(path, what="model config", max_bytes=MAX_CONFIG_BYTES)
    depth = _max_depth(text)
    if depth > MAX_CONFIG_DEPTH:
        raise InputError(f"nested {depth} levels deep, more than the {MAX_CONFIG_DEPTH} a model config has; "
                         "check that this is a config.json", where=path)
    try:
        config = json.loads(text, parse_constant=_Constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}; fix the syntax there", where=path,
                         field=f"line {exc.lineno}") from None
    except RecursionError:
        raise InputError("nested too deeply to read; check that this is a config.json", where=path) from None
    if not isinstance(config, dict):
        raise InputError(f"a model config is a JSON object ({{...}}), not a {type(config).__name__}", where=path)
    for field, value in _numbers(config, ""):
        problem = _number_problem(value)
        if problem:
            raise InputError(problem, where=path, field=field)
    for scope, at in ((config, ""), (config.get("text_config"), "text_config.")):
        if not isinstance(scope, dict):
            continue
        for key in WHOLE_NUMBER_KEYS & scope.keys():
            value = scope[key]
            if isinstance(value, float) and not value.is_integer():
                raise InputError(f"must be a whole number, not {value!r}", where=path, field=at + key)
    return config


def _max_depth(text: str) -> int:
    """The deepest bracket nesting outside strings (checked before parsing, which recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _numbers(value: Any, at: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, f"{at}.{k}" if at else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _numbers(v, f"{at}[{i}]")
    elif isinstance(value, (_Constant, float, int)) and not isinstance(value, bool):
        yield at, value


def _number_problem(value: Any) -> str | None:
    if isinstance(value, _Constant):
        return f"must be a number, not {value.text}; give the value (JSON has no NaN or Infinity)"
    if isinstance(value, float) and math.isinf(value):
        return "is too large for any number (it overflows to infinity); check the value"
    if abs(value) > MAX_CONFIG_NUMBER:
        return f"{value:g} is larger than any model size ({MAX_CONFIG_NUMBER:g}); check the value"
    if isinstance(value, float) and value != 0 and abs(value) < sys.float_info.min:
        return f"{value!r} is too close to zero to be a real value; give 0 or the intended value"
    return None


@contextmanager
def errors_name_the_file(path: str, name: str) -> Iterator[None]:
    """Re-raise the model reader's errors (``config <name>: ...``) with the file as their place."""
    try:
        yield
    except InputError as exc:
        prefix = f"config {name}: "
        if exc.where or not exc.message.startswith(prefix):
            raise
        raise InputError(exc.message[len(prefix):], where=path) from None
    except (ValueError, ArithmeticError) as exc:
        raise InputError(f"a size in the config is not a positive whole number ({exc}); check it",
                         where=path) from None


_SIZES = ("hidden_size", "num_layers", "num_heads", "num_kv_heads", "vocab_size", "intermediate_size")


def check_sizes(spec: Any, path: str) -> None:
    """The model's main sizes must come out as whole numbers of at least 1 (a fraction such as 0.5 does not)."""
    for name in _SIZES:
        value = getattr(spec, name, None)
        if isinstance(value, int) and value < 1:
            raise InputError(f"{name} comes out as {value}; give a whole number of at least 1 in the config",
                             where=path)

"""Transformer model shapes: presets, Hugging Face ``config.json`` parsing, parameter and byte counts.

Parameter count (decoder, per layer): attention ``2·d² + 2·d·h_kv·d_h`` (q, o, k, v projections),
MLP ``3·d·d_ff`` for gated (SwiGLU) MLPs or ``2·d·d_ff`` for plain ones, times the expert count for
mixture-of-experts layers, plus ``V·d`` embeddings (twice when input and output embeddings are not
tied). Norms and biases are ignored (< 0.1%).

KV cache per token: ``2 · L · h_kv · d_h · bytes`` (K and V, grouped-query aware).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property

from planner.errors import InputError, UnknownNameError, suggest

# Bytes per stored element.
DTYPE_BYTES: dict[str, float] = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}


def dtype_bytes(dtype: str) -> float:
    try:
        return DTYPE_BYTES[dtype.lower()]
    except KeyError:
        raise UnknownNameError(suggest(dtype, DTYPE_BYTES, what="dtype")) from None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vocab_size: int
    tie_word_embeddings: bool = False
    gated_mlp: bool = True
    num_experts: int = 1
    experts_per_token: int = 1
    head_dim: int | None = None
    source: str = ""

    @property
    def d_head(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    @cached_property
    def attention_params_per_layer(self) -> int:
        d, qd, kvd = self.hidden_size, self.num_heads * self.d_head, self.num_kv_heads * self.d_head
        return 2 * d * qd + 2 * d * kvd

    @cached_property
    def expert_params_per_layer(self) -> int:
        """Parameters of one expert's MLP (the whole MLP for a dense model)."""
        return (3 if self.gated_mlp else 2) * self.hidden_size * self.intermediate_size

    @cached_property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)

    @cached_property
    def params(self) -> int:
        per_layer = self.attention_params_per_layer + self.num_experts * self.expert_params_per_layer
        return self.num_layers * per_layer + self.embedding_params

    @cached_property
    def active_params(self) -> int:
        """Parameters used per token (MoE: only the routed experts)."""
        per_layer = self.attention_params_per_layer + self.experts_per_token * self.expert_params_per_layer
        return self.num_layers * per_layer + self.embedding_params

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 1

    def weight_bytes(self, dtype: str = "bf16") -> float:
        return self.params * dtype_bytes(dtype)

    def kv_bytes_per_token(self, dtype: str = "bf16") -> float:
        return 2 * self.num_layers * self.num_kv_heads * self.d_head * dtype_bytes(dtype)


def _llama(name: str, d: int, L: int, h: int, kv: int, ff: int, V: int, src: str, **kw: object) -> ModelSpec:
    return ModelSpec(name, d, L, h, kv, ff, V, source=src, **kw)  # type: ignore[arg-type]


_HF = "Hugging Face config.json of {}"
PRESETS: dict[str, ModelSpec] = {m.name: m for m in (
    _llama("llama-7b", 4096, 32, 32, 32, 11008, 32000, "LLaMA paper arXiv:2302.13971 Table 2"),
    _llama("llama-13b", 5120, 40, 40, 40, 13824, 32000, "LLaMA paper Table 2"),
    _llama("llama-33b", 6656, 60, 52, 52, 17920, 32000, "LLaMA paper Table 2"),
    _llama("llama-65b", 8192, 80, 64, 64, 22016, 32000, "LLaMA paper Table 2"),
    _llama("llama-2-7b", 4096, 32, 32, 32, 11008, 32000, _HF.format("meta-llama/Llama-2-7b-hf")),
    _llama("llama-2-13b", 5120, 40, 40, 40, 13824, 32000, _HF.format("meta-llama/Llama-2-13b-hf")),
    _llama("llama-2-34b", 8192, 48, 64, 8, 22016, 32000,
           "Llama 2 paper Table 1 (34B, GQA; unreleased, shape as Code Llama 34B)"),
    _llama("llama-2-70b", 8192, 80, 64, 8, 28672, 32000, _HF.format("meta-llama/Llama-2-70b-hf")),
    _llama("llama-3-8b", 4096, 32, 32, 8, 14336, 128256, _HF.format("meta-llama/Meta-Llama-3-8B")),
    _llama("llama-3-70b", 8192, 80, 64, 8, 28672, 128256, _HF.format("meta-llama/Meta-Llama-3-70B")),
    _llama("llama-3.1-8b", 4096, 32, 32, 8, 14336, 128256, _HF.format("meta-llama/Llama-3.1-8B")),
    _llama("llama-3.1-70b", 8192, 80, 64, 8, 28672, 128256, _HF.format("meta-llama/Llama-3.1-70B")),
    _llama("llama-3.1-405b", 16384, 126, 128, 8, 53248, 128256, _HF.format("meta-llama/Llama-3.1-405B")),
    _llama("llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, _HF.format("meta-llama/Llama-3.2-1B"),
           tie_word_embeddings=True, head_dim=64),
    _llama("llama-3.2-3b", 3072, 28, 24, 8, 8192, 128256, _HF.format("meta-llama/Llama-3.2-3B"),
           tie_word_embeddings=True),
    _llama("mistral-7b", 4096, 32, 32, 8, 14336, 32000, _HF.format("mistralai/Mistral-7B-v0.1")),
    _llama("mixtral-8x7b", 4096, 32, 32, 8, 14336, 32000, _HF.format("mistralai/Mixtral-8x7B-v0.1"),
           num_experts=8, experts_per_token=2),
    _llama("mixtral-8x22b", 6144, 56, 48, 8, 16384, 32768, _HF.format("mistralai/Mixtral-8x22B-v0.1"),
           num_experts=8, experts_per_token=2),
    _llama("qwen2.5-7b", 3584, 28, 28, 4, 18944, 152064, _HF.format("Qwen/Qwen2.5-7B")),
    _llama("qwen2.5-72b", 8192, 80, 64, 8, 29568, 152064, _HF.format("Qwen/Qwen2.5-72B")),
    _llama("gemma-2-9b", 3584, 42, 16, 8, 14336, 256000, _HF.format("google/gemma-2-9b"),
           tie_word_embeddings=True, head_dim=256),
    _llama("falcon-180b", 14848, 80, 232, 8, 59392, 65024, _HF.format("tiiuae/falcon-180B"), gated_mlp=False,
           tie_word_embeddings=True, head_dim=64),
    _llama("gpt-j-6b", 4096, 28, 16, 16, 16384, 50400, _HF.format("EleutherAI/gpt-j-6b"), gated_mlp=False),
    _llama("gpt3-175b", 12288, 96, 96, 96, 49152, 50257, "GPT-3 paper arXiv:2005.14165 Table 2.1",
           gated_mlp=False, tie_word_embeddings=True),
    _llama("bert-base", 768, 12, 12, 12, 3072, 30522, _HF.format("bert-base-uncased"),
           gated_mlp=False, tie_word_embeddings=True),
    _llama("bert-large", 1024, 24, 16, 16, 4096, 30522, _HF.format("bert-large-uncased"),
           gated_mlp=False, tie_word_embeddings=True),
)}

ALIASES: dict[str, str] = {
    "llama2-7b": "llama-2-7b", "llama2-13b": "llama-2-13b", "llama2-70b": "llama-2-70b",
    "llama3-8b": "llama-3-8b", "llama3-70b": "llama-3-70b", "llama3.1-8b": "llama-3.1-8b",
    "llama3.1-70b": "llama-3.1-70b", "llama3.1-405b": "llama-3.1-405b", "llama-3.3-70b": "llama-3.1-70b",
    "meta-llama-3-8b": "llama-3-8b", "meta-llama-3-70b": "llama-3-70b", "gptj-6b": "gpt-j-6b",
    "gpt-3-175b": "gpt3-175b", "mistral-7b-v0.1": "mistral-7b", "bert-base-uncased": "bert-base",
}


def _preset_key(name: str) -> str:
    key = name.strip().lower().rsplit("/", 1)[-1]
    for suffix in ("-hf", "-instruct", "-chat"):
        key = key.removesuffix(suffix)
    return key


def model_from_config(config: dict[str, object], name: str) -> ModelSpec:
    """A ModelSpec from a Hugging Face config dict (Llama/Mistral/Mixtral/Qwen/GPT-J/BERT fields)."""

    def field(*keys: str, default: int | None = None) -> int:
        for k in keys:
            value = config.get(k)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise InputError(f"config {name}: {k} must be a positive number, got {value!r}")
                return int(value)
        if default is None:
            raise InputError(f"config {name}: missing {' or '.join(keys)}; add it to the config.json")
        return default

    d = field("hidden_size", "n_embd", "d_model")
    heads = field("num_attention_heads", "n_head")
    archs = config.get("architectures")
    arch = " ".join(str(a) for a in archs).lower() if isinstance(archs, list) else ""
    gated = not any(t in arch for t in ("gptj", "bert", "gpt2", "opt"))
    return ModelSpec(
        name=name,
        hidden_size=d,
        num_layers=field("num_hidden_layers", "n_layer"),
        num_heads=heads,
        num_kv_heads=field("num_key_value_heads", default=heads),
        intermediate_size=field("intermediate_size", "n_inner", "ffn_dim", default=4 * d),
        vocab_size=field("vocab_size"),
        tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
        gated_mlp=gated,
        num_experts=field("num_local_experts", "num_experts", default=1),
        experts_per_token=field("num_experts_per_tok", default=1),
        head_dim=field("head_dim", default=0) or None,
        source=f"config {name}",
    )


def get_model(name_or_path: str) -> ModelSpec:
    """A preset by name (case-insensitive, common aliases) or a Hugging Face ``config.json`` path."""
    if name_or_path.endswith(".json") or os.path.sep in name_or_path and os.path.exists(name_or_path):
        path = name_or_path
        if os.path.isdir(path):
            path = os.path.join(path, "config.json")
        try:
            with open(path, encoding="utf-8") as fh:
                config = json.load(fh)
        except FileNotFoundError:
            raise InputError(f"model config {name_or_path!r} not found; give a preset name or a config.json path") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"model config {name_or_path!r} is not readable JSON ({exc})") from None
        if not isinstance(config, dict):
            raise InputError(f"model config {name_or_path!r} is not a JSON object")
        return model_from_config(config, os.path.basename(os.path.dirname(os.path.abspath(path))) or path)
    key = _preset_key(name_or_path)
    key = ALIASES.get(key, key)
    if key in PRESETS:
        return PRESETS[key]
    raise UnknownNameError(suggest(name_or_path, PRESETS, what="model") + " or a config.json path")


def list_models() -> list[str]:
    return list(PRESETS)

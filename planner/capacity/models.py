"""Transformer model shapes: presets, Hugging Face ``config.json`` parsing, parameter and byte counts.

Parameters (decoder; norms and biases ignored, < 0.1%):

- attention per layer: ``2·d·h·d_h + 2·d·h_kv·d_h`` (q, o, k, v projections, grouped-query aware);
  multi-head latent attention (MLA, DeepSeek-V2/V3) instead: ``d·r_q + r_q·h·(d_nope+d_rope)``
  (``d·h·(d_nope+d_rope)`` without a query rank) ``+ d·(r_kv+d_rope) + r_kv·h·(d_nope+d_v) + h·d_v·d``;
- MLP: ``3·d·w`` for gated (SwiGLU) MLPs, ``2·d·w`` for plain ones, of width ``w``;
- a mixture-of-experts (MoE) layer: ``E`` routed experts of width ``w_e`` plus shared experts of
  total width ``w_s`` plus a router of ``d·E``; dense layers of an MoE model (DeepSeek's first
  ``first_k_dense_replace`` layers, Llama 4's non-MoE layers) have a dense MLP of their own width;
- embeddings ``V·d`` (twice when input and output embeddings are not tied).

``params`` counts every weight (what memory holds); ``active_params`` counts those one token uses
(``k`` routed experts of ``E``, the shared experts, dense layers, attention, embeddings).

KV cache per token and layer: ``2·h_kv·d_h`` elements (K and V); MLA caches one latent of
``r_kv + d_rope`` elements. Layers with local attention (sliding window, chunked attention) hold at
most ``window`` tokens: ``kv_bytes(tokens)`` counts them so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from planner.errors import InputError, UnknownNameError, suggest

# Bytes per stored element. int8/int4 are weight-only formats (16-bit math, 16-bit KV cache).
DTYPE_BYTES: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
DTYPES: tuple[str, ...] = tuple(DTYPE_BYTES)  # the dtypes every entry point accepts
WEIGHT_ONLY = ("int8", "int4")


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
    intermediate_size: int  # dense MLP width (the routed expert width too unless moe_intermediate_size)
    vocab_size: int
    tie_word_embeddings: bool = False
    gated_mlp: bool = True
    num_experts: int = 1  # routed experts per MoE layer (1 = dense)
    experts_per_token: int = 1  # routed experts each token uses
    head_dim: int | None = None
    source: str = ""
    moe_intermediate_size: int | None = None  # width of one routed expert
    shared_expert_size: int = 0  # total width of the shared experts of an MoE layer (0 = none)
    num_shared_experts: int = 0
    dense_layers: int = 0  # layers of an MoE model with a dense MLP instead of experts
    dense_intermediate_size: int | None = None  # their MLP width (default intermediate_size)
    kv_lora_rank: int = 0  # MLA: compressed KV latent (0 = ordinary attention)
    q_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    local_layers: int = 0  # layers whose attention sees at most local_window tokens
    local_window: int = 0

    def __post_init__(self) -> None:
        if self.num_experts > 1 and not 1 <= self.experts_per_token <= self.num_experts:
            raise InputError(f"model {self.name}: experts per token ({self.experts_per_token}) must be between 1 "
                             f"and the expert count ({self.num_experts})")
        if not 0 <= self.dense_layers <= self.num_layers or not 0 <= self.local_layers <= self.num_layers:
            raise InputError(f"model {self.name}: dense or local layer count exceeds {self.num_layers} layers")

    # --- shape ---
    @property
    def d_head(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 1

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def moe_layers(self) -> int:
        return self.num_layers - self.dense_layers if self.is_moe else 0

    @property
    def kv_heads_for_tp(self) -> int:
        """KV heads a tensor-parallel group can split; MLA's latent is one shared 'head'."""
        return 1 if self.is_mla else self.num_kv_heads

    def _mlp(self, width: int) -> int:
        return (3 if self.gated_mlp else 2) * self.hidden_size * width

    # --- parameters ---
    @cached_property
    def attention_params_per_layer(self) -> int:
        d, h = self.hidden_size, self.num_heads
        if self.is_mla:
            qk = self.qk_nope_head_dim + self.qk_rope_head_dim
            q = d * self.q_lora_rank + self.q_lora_rank * h * qk if self.q_lora_rank else d * h * qk
            kv = d * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank * h * (
                self.qk_nope_head_dim + self.v_head_dim)
            return q + kv + h * self.v_head_dim * d
        qd, kvd = h * self.d_head, self.num_kv_heads * self.d_head
        return 2 * d * qd + 2 * d * kvd

    @cached_property
    def expert_params_per_layer(self) -> int:
        """Parameters of one routed expert (the whole MLP for a dense model)."""
        return self._mlp(self.moe_intermediate_size or self.intermediate_size)

    @cached_property
    def dense_mlp_params(self) -> int:
        return self._mlp(self.dense_intermediate_size or self.intermediate_size)

    @cached_property
    def shared_expert_params(self) -> int:
        return self._mlp(self.shared_expert_size)

    @cached_property
    def router_params(self) -> int:
        return self.hidden_size * self.num_experts if self.is_moe else 0

    @cached_property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)

    def layer_params(self, experts: float) -> float:
        """All decoder-layer parameters when ``experts`` routed experts per MoE layer count."""
        moe = experts * self.expert_params_per_layer + self.shared_expert_params + self.router_params
        return (self.num_layers * self.attention_params_per_layer + (self.num_layers - self.moe_layers)
                * self.dense_mlp_params + self.moe_layers * moe)

    @cached_property
    def params(self) -> int:
        return int(self.layer_params(self.num_experts)) + self.embedding_params

    @cached_property
    def active_params(self) -> int:
        """Parameters used per token (MoE: the routed experts a token picks, plus everything shared)."""
        return int(self.layer_params(self.experts_per_token)) + self.embedding_params

    @cached_property
    def expert_params(self) -> int:
        """Routed-expert parameters (what expert parallelism splits)."""
        return self.moe_layers * self.num_experts * self.expert_params_per_layer

    def experts_touched(self, tokens: float) -> float:
        """Expected distinct routed experts per MoE layer that ``tokens`` tokens use (uniform routing)."""
        if not self.is_moe:
            return 1.0
        e, k = self.num_experts, self.experts_per_token
        return e * (1.0 - (1.0 - k / e) ** max(tokens, 0.0))

    # --- attention math and KV cache ---
    def attention_flops_per_pair(self, absorbed: bool = False) -> float:
        """FLOPs per (query, key) pair per layer: ``2·h·(d_qk + d_v)`` (``4·h·d_h`` for ordinary
        attention). MLA decode with absorbed projections works in the latent: d_qk = r_kv + d_rope,
        d_v = r_kv."""
        h = self.num_heads
        if self.is_mla:
            if absorbed:
                return 2.0 * h * (2 * self.kv_lora_rank + self.qk_rope_head_dim)
            return 2.0 * h * (self.qk_nope_head_dim + self.qk_rope_head_dim + self.v_head_dim)
        return 4.0 * h * self.d_head

    @property
    def kv_elements_per_token_layer(self) -> int:
        if self.is_mla:
            return self.kv_lora_rank + self.qk_rope_head_dim
        return 2 * self.num_kv_heads * self.d_head

    def weight_bytes(self, dtype: str = "bf16") -> float:
        return self.params * dtype_bytes(dtype)

    def kv_bytes_per_token(self, dtype: str = "bf16") -> float:
        """KV-cache bytes per token over all layers (local-attention layers counted in full)."""
        return self.num_layers * self.kv_elements_per_token_layer * dtype_bytes(dtype)

    def kv_bytes(self, tokens: float, dtype: str = "bf16") -> float:
        """KV-cache bytes of one sequence of ``tokens`` tokens (local layers keep ``local_window``)."""
        local = min(tokens, self.local_window) if self.local_layers else 0.0
        per_layer = self.kv_elements_per_token_layer * dtype_bytes(dtype)
        return per_layer * ((self.num_layers - self.local_layers) * tokens + self.local_layers * local)


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
    _llama("llama-3.3-70b", 8192, 80, 64, 8, 28672, 128256, _HF.format("meta-llama/Llama-3.3-70B-Instruct")),
    # Llama 4: every MoE layer has 1 routed expert of 8192 per token plus one shared expert of 8192;
    # Maverick alternates dense layers (intermediate_size_mlp 16384) with MoE layers (step 2). Three of
    # every four layers use chunked attention over 8192-token chunks (attention_chunk_size).
    _llama("llama-4-scout", 5120, 48, 40, 8, 8192, 202048,
           _HF.format("meta-llama/Llama-4-Scout-17B-16E") + " (text_config); model card: 109B total, 17B active",
           head_dim=128, num_experts=16, experts_per_token=1, shared_expert_size=8192, num_shared_experts=1,
           dense_intermediate_size=16384, local_layers=36, local_window=8192),
    _llama("llama-4-maverick", 5120, 48, 40, 8, 8192, 202048,
           _HF.format("meta-llama/Llama-4-Maverick-17B-128E") + " (text_config); model card: 400B total, 17B active",
           head_dim=128, num_experts=128, experts_per_token=1, shared_expert_size=8192, num_shared_experts=1,
           dense_layers=24, dense_intermediate_size=16384, local_layers=36, local_window=8192),
    _llama("mistral-7b", 4096, 32, 32, 8, 14336, 32000, _HF.format("mistralai/Mistral-7B-v0.1")),
    _llama("mixtral-8x7b", 4096, 32, 32, 8, 14336, 32000, _HF.format("mistralai/Mixtral-8x7B-v0.1"),
           num_experts=8, experts_per_token=2),
    _llama("mixtral-8x22b", 6144, 56, 48, 8, 16384, 32768, _HF.format("mistralai/Mixtral-8x22B-v0.1"),
           num_experts=8, experts_per_token=2),
    _llama("qwen2.5-7b", 3584, 28, 28, 4, 18944, 152064, _HF.format("Qwen/Qwen2.5-7B")),
    _llama("qwen2.5-72b", 8192, 80, 64, 8, 29568, 152064, _HF.format("Qwen/Qwen2.5-72B")),
    _llama("qwen3-0.6b", 1024, 28, 16, 8, 3072, 151936, _HF.format("Qwen/Qwen3-0.6B"), head_dim=128,
           tie_word_embeddings=True),
    _llama("qwen3-1.7b", 2048, 28, 16, 8, 6144, 151936, _HF.format("Qwen/Qwen3-1.7B"), head_dim=128,
           tie_word_embeddings=True),
    _llama("qwen3-4b", 2560, 36, 32, 8, 9728, 151936, _HF.format("Qwen/Qwen3-4B"), head_dim=128,
           tie_word_embeddings=True),
    _llama("qwen3-8b", 4096, 36, 32, 8, 12288, 151936, _HF.format("Qwen/Qwen3-8B"), head_dim=128),
    _llama("qwen3-14b", 5120, 40, 40, 8, 17408, 151936, _HF.format("Qwen/Qwen3-14B"), head_dim=128),
    _llama("qwen3-32b", 5120, 64, 64, 8, 25600, 151936, _HF.format("Qwen/Qwen3-32B"), head_dim=128),
    _llama("qwen3-30b-a3b", 2048, 48, 32, 4, 6144, 151936,
           _HF.format("Qwen/Qwen3-30B-A3B") + "; model card: 30.5B total, 3.3B active", head_dim=128,
           num_experts=128, experts_per_token=8, moe_intermediate_size=768),
    _llama("qwen3-235b-a22b", 4096, 94, 64, 4, 12288, 151936,
           _HF.format("Qwen/Qwen3-235B-A22B") + "; model card: 235B total, 22B active", head_dim=128,
           num_experts=128, experts_per_token=8, moe_intermediate_size=1536),
    # DeepSeek-V3 and R1 share one architecture: MLA, 3 dense layers, 256 routed + 1 shared expert.
    *(_llama(n, 7168, 61, 128, 128, 18432, 129280,
             _HF.format(repo) + "; technical report arXiv:2412.19437: 671B total, 37B active "
             "(the 14B multi-token-prediction module is left out)",
             num_experts=256, experts_per_token=8, moe_intermediate_size=2048, shared_expert_size=2048,
             num_shared_experts=1, dense_layers=3, kv_lora_rank=512, q_lora_rank=1536, qk_nope_head_dim=128,
             qk_rope_head_dim=64, v_head_dim=128)
      for n, repo in (("deepseek-v3", "deepseek-ai/DeepSeek-V3"), ("deepseek-r1", "deepseek-ai/DeepSeek-R1"))),
    # gpt-oss: 128-token sliding window on every other layer (layer_types); experts are published in
    # MXFP4 (about 4.25 bits per weight), close to dtype int4.
    _llama("gpt-oss-20b", 2880, 24, 64, 8, 2880, 201088,
           _HF.format("openai/gpt-oss-20b") + "; model card: 20.9B total, 3.6B active", head_dim=64,
           num_experts=32, experts_per_token=4, local_layers=12, local_window=128),
    _llama("gpt-oss-120b", 2880, 36, 64, 8, 2880, 201088,
           _HF.format("openai/gpt-oss-120b") + "; model card: 116.8B total, 5.1B active", head_dim=64,
           num_experts=128, experts_per_token=4, local_layers=18, local_window=128),
    _llama("gemma-2-9b", 3584, 42, 16, 8, 14336, 256000, _HF.format("google/gemma-2-9b"),
           tie_word_embeddings=True, head_dim=256),
    # Gemma 3: five local (sliding-window) layers for every global one (sliding_window_pattern 6).
    _llama("gemma-3-1b", 1152, 26, 4, 1, 6912, 262144, _HF.format("google/gemma-3-1b-pt"),
           tie_word_embeddings=True, head_dim=256, local_layers=22, local_window=512),
    _llama("gemma-3-4b", 2560, 34, 8, 4, 10240, 262208, _HF.format("google/gemma-3-4b-pt") + " (text_config)",
           tie_word_embeddings=True, head_dim=256, local_layers=29, local_window=1024),
    _llama("gemma-3-12b", 3840, 48, 16, 8, 15360, 262208, _HF.format("google/gemma-3-12b-pt") + " (text_config)",
           tie_word_embeddings=True, head_dim=256, local_layers=40, local_window=1024),
    _llama("gemma-3-27b", 5376, 62, 32, 16, 21504, 262208, _HF.format("google/gemma-3-27b-pt") + " (text_config)",
           tie_word_embeddings=True, head_dim=128, local_layers=52, local_window=1024),
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

# Other spellings of the same checkpoints (never a different model: an unknown name is an error).
ALIASES: dict[str, str] = {
    "llama2-7b": "llama-2-7b", "llama2-13b": "llama-2-13b", "llama2-70b": "llama-2-70b",
    "llama3-8b": "llama-3-8b", "llama3-70b": "llama-3-70b", "llama3.1-8b": "llama-3.1-8b",
    "llama3.1-70b": "llama-3.1-70b", "llama3.1-405b": "llama-3.1-405b", "llama3.3-70b": "llama-3.3-70b",
    "meta-llama-3-8b": "llama-3-8b", "meta-llama-3-70b": "llama-3-70b", "meta-llama-3.1-8b": "llama-3.1-8b",
    "meta-llama-3.1-70b": "llama-3.1-70b", "meta-llama-3.1-405b": "llama-3.1-405b",
    "llama-4-scout-17b-16e": "llama-4-scout", "llama-4-maverick-17b-128e": "llama-4-maverick",
    "gptj-6b": "gpt-j-6b", "gpt-3-175b": "gpt3-175b", "mistral-7b-v0.1": "mistral-7b",
    "mixtral-8x7b-v0.1": "mixtral-8x7b", "mixtral-8x22b-v0.1": "mixtral-8x22b", "bert-base-uncased": "bert-base",
    "bert-large-uncased": "bert-large", "gemma-3-1b-pt": "gemma-3-1b", "gemma-3-4b-pt": "gemma-3-4b",
    "gemma-3-12b-pt": "gemma-3-12b", "gemma-3-27b-pt": "gemma-3-27b", "gemma-3-1b-it": "gemma-3-1b",
    "gemma-3-4b-it": "gemma-3-4b", "gemma-3-12b-it": "gemma-3-12b", "gemma-3-27b-it": "gemma-3-27b",
}


def _preset_key(name: str) -> str:
    key = name.strip().lower().rsplit("/", 1)[-1]
    for suffix in ("-hf", "-instruct", "-chat", "-base", "-instruct-2507", "-thinking-2507", "-0528"):
        key = key.removesuffix(suffix)
    return key


# --- Hugging Face config.json ---

_MLP_FREE = ("gptj", "bert", "gpt2", "opt", "falcon")


def _text_config(config: Mapping[str, object]) -> Mapping[str, object]:
    """Multimodal configs (Llama 4, Gemma 3) nest the language model under ``text_config``."""
    inner = config.get("text_config")
    if isinstance(inner, Mapping) and "hidden_size" not in config:
        return {**{k: v for k, v in config.items() if k != "text_config"}, **inner}
    return config


def model_from_config(config: Mapping[str, object], name: str) -> ModelSpec:
    """A ModelSpec from a Hugging Face config dict: Llama, Mistral/Mixtral, Qwen2/Qwen3 (dense and MoE),
    DeepSeek-V2/V3/R1 (MLA, shared experts, leading dense layers), Llama 4 (``text_config``, interleaved
    MoE layers), gpt-oss, Gemma 2/3, GPT-J, BERT."""
    config = _text_config(config)

    def field(*keys: str, default: int | None = None, zero_ok: bool = False) -> int:
        for k in keys:
            value = config.get(k)
            if value is not None:
                if (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
                        or (value == 0 and not zero_ok)):
                    raise InputError(f"config {name}: {k} must be a positive number, got {value!r}")
                return int(value)
        if default is None:
            raise InputError(f"config {name}: missing {' or '.join(keys)}; add it to the config.json")
        return default

    d = field("hidden_size", "n_embd", "d_model")
    heads = field("num_attention_heads", "n_head")
    layers = field("num_hidden_layers", "n_layer")
    archs = config.get("architectures")
    arch = " ".join(str(a) for a in archs).lower() if isinstance(archs, list) else ""
    arch += " " + str(config.get("model_type", "")).lower()
    experts = field("n_routed_experts", "num_local_experts", "num_experts", default=1, zero_ok=True) or 1
    per_token = field("num_experts_per_tok", "experts_per_token", "moe_topk", default=1)
    ff = field("intermediate_size", "n_inner", "ffn_dim", default=4 * d, zero_ok=True)
    moe_ff = field("moe_intermediate_size", default=0, zero_ok=True) or None
    shared, n_shared, dense_layers, dense_ff = 0, 0, 0, None
    if experts > 1:
        if "n_shared_experts" in config:  # DeepSeek: shared experts as wide as a routed one
            n_shared = field("n_shared_experts", default=0, zero_ok=True)
            shared = n_shared * (moe_ff or ff)
        elif field("shared_expert_intermediate_size", default=0, zero_ok=True):  # Qwen2-MoE
            n_shared, shared = 1, field("shared_expert_intermediate_size")
        elif "llama4" in arch:  # one shared expert of intermediate_size in every MoE layer
            n_shared, shared = 1, ff
        dense_layers = _dense_layer_count(config, layers, name)
        if "intermediate_size_mlp" in config:  # Llama 4's dense layers
            dense_ff = field("intermediate_size_mlp")
        elif moe_ff and ff:  # DeepSeek / Qwen: intermediate_size is the dense width
            dense_ff = ff
        if dense_layers and not dense_ff:
            raise InputError(f"config {name}: {dense_layers} dense layers but no dense intermediate_size; add it")
    elif not ff:
        raise InputError(f"config {name}: intermediate_size must be a positive number, got 0")
    kv_lora = field("kv_lora_rank", default=0, zero_ok=True)
    local_layers, window = _local_attention(config, layers, arch, name)
    return ModelSpec(
        name=name,
        hidden_size=d,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=field("num_key_value_heads", "num_kv_heads", default=heads),
        intermediate_size=ff or (moe_ff or 4 * d),
        vocab_size=field("vocab_size"),
        tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
        gated_mlp=not any(t in arch for t in _MLP_FREE),
        num_experts=experts,
        experts_per_token=per_token if experts > 1 else 1,
        head_dim=field("head_dim", default=0, zero_ok=True) or None,
        source=f"config {name}",
        moe_intermediate_size=moe_ff if experts > 1 else None,
        shared_expert_size=shared,
        num_shared_experts=n_shared,
        dense_layers=dense_layers,
        dense_intermediate_size=dense_ff,
        kv_lora_rank=kv_lora,
        q_lora_rank=field("q_lora_rank", default=0, zero_ok=True) if kv_lora else 0,
        qk_nope_head_dim=field("qk_nope_head_dim") if kv_lora else 0,
        qk_rope_head_dim=field("qk_rope_head_dim") if kv_lora else 0,
        v_head_dim=field("v_head_dim") if kv_lora else 0,
        local_layers=local_layers,
        local_window=window,
    )


def _dense_layer_count(config: Mapping[str, object], layers: int, name: str) -> int:
    """Layers of an MoE model that keep a dense MLP."""
    moe_layers = config.get("moe_layers")
    if isinstance(moe_layers, list) and moe_layers:  # Llama 4 lists them
        return layers - len(moe_layers)
    dense = 0
    first = config.get("first_k_dense_replace")  # DeepSeek
    if isinstance(first, int) and first > 0:
        dense = first
    step = config.get("interleave_moe_layer_step")  # Llama 4: layers step-1, 2·step-1, ... are MoE
    if isinstance(step, int) and step > 1:
        dense = layers - len(range(step - 1, layers, step))
    sparse_step = config.get("decoder_sparse_step")  # Qwen MoE: layer i is MoE when (i+1) % step == 0
    only_mlp = config.get("mlp_only_layers")
    if isinstance(sparse_step, int) and sparse_step > 1 or isinstance(only_mlp, list) and only_mlp:
        step_n = sparse_step if isinstance(sparse_step, int) and sparse_step > 0 else 1
        skip = {int(i) for i in only_mlp} if isinstance(only_mlp, list) else set()
        dense = sum(1 for i in range(layers) if i in skip or (i + 1) % step_n)
    if not 0 <= dense < layers:
        raise InputError(f"config {name}: the MoE layer settings leave no MoE layer of {layers}")
    return dense


def _local_attention(config: Mapping[str, object], layers: int, arch: str, name: str) -> tuple[int, int]:
    """(layers with local attention, their window) from layer_types, sliding_window_pattern or Llama 4's
    chunked attention; (0, 0) when every layer attends to the whole sequence."""
    window = config.get("sliding_window") or config.get("attention_chunk_size")
    if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
        return 0, 0
    types = config.get("layer_types")
    if isinstance(types, list) and types:
        return sum(1 for t in types if "sliding" in str(t) or "chunk" in str(t)), window
    pattern = config.get("sliding_window_pattern")
    if isinstance(pattern, int) and pattern > 1:  # Gemma 3: every pattern-th layer is global
        return layers - layers // pattern, window
    no_rope = config.get("no_rope_layers")
    if "llama4" in arch and config.get("attention_chunk_size"):
        if isinstance(no_rope, list) and no_rope:  # 1 = RoPE layer with chunked attention
            return sum(1 for v in no_rope if v), window
        return layers - layers // 4, window
    if config.get("use_sliding_window") is False:
        return 0, 0
    if "mistral" in arch or "mixtral" in arch:  # one window for all layers
        return layers, window
    return 0, 0


def _name_from_path(path: str, config: Mapping[str, object]) -> str:
    """``_name_or_path`` when the config has one, else the file's name, else (``config.json``) its folder."""
    given = config.get("_name_or_path")
    if isinstance(given, str) and given.strip() and not os.path.isabs(given):
        return given.strip()
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem != "config":
        return stem
    return os.path.basename(os.path.dirname(os.path.abspath(path))) or stem


def get_model(name_or_path: str) -> ModelSpec:
    """A preset by name (case-insensitive, common aliases) or a Hugging Face ``config.json`` path."""
    if name_or_path.endswith(".json") or os.path.sep in name_or_path and os.path.exists(name_or_path):
        path = name_or_path
        if os.path.isdir(path):
            path = os.path.join(path, "config.json")
        from planner.capacity.configfile import check_sizes, errors_name_the_file, read_config

        if not os.path.exists(path) and not os.path.islink(path):
            raise InputError(f"model config {name_or_path!r} not found; give a preset name or a config.json path")
        config = read_config(path)
        name = _name_from_path(path, config)
        with errors_name_the_file(path, name):
            spec = model_from_config(config, name)
        check_sizes(spec, path)
        return spec
    key = _preset_key(name_or_path)
    key = ALIASES.get(key, key)
    if key in PRESETS:
        return PRESETS[key]
    raise UnknownNameError(suggest(name_or_path, PRESETS, what="model") + " or a config.json path")


def list_models() -> list[str]:
    return list(PRESETS)

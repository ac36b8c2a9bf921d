"""Read YAML keeping the line of every key (see :mod:`pricing.yamlfile`, re-exported here)."""

from __future__ import annotations

from pricing.yamlfile import MAX_DEPTH, MAX_VALUES, MAX_YAML_BYTES, Path_, load_yaml, path_text

__all__ = ["MAX_DEPTH", "MAX_VALUES", "MAX_YAML_BYTES", "Path_", "load_yaml", "path_text"]

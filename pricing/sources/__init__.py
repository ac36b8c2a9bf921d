"""Price sources: one module per source, each implementing :class:`~pricing.sources.base.PriceSource`.

:data:`SOURCES` is the explicit registry, name -> factory. A factory is ``lazy("module", "attr")``,
so importing this package imports no source module and no cloud SDK; the module is imported when
the factory is called. Registering a source is one line in the dict below.

>>> src = get_source("azure")            # doctest: +SKIP
>>> offers = list(src.fetch(["eastus"]))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pricing.errors import UnknownNameError, suggest
from pricing.sources.base import FetchStats, PriceSource, Progress

__all__ = ["SOURCES", "FetchStats", "PriceSource", "Progress", "get_source", "lazy"]


def lazy(module: str, attr: str) -> Callable[..., PriceSource]:
    """A factory that imports ``module`` and calls ``attr`` (dotted, e.g. ``Cls.method``) when called."""

    def factory(**kwargs: Any) -> PriceSource:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj(**kwargs)

    factory.__name__ = f"{module}:{attr}"
    factory.__qualname__ = factory.__name__
    return factory


SOURCES: dict[str, Callable[..., PriceSource]] = {
    "aws": lazy("pricing.sources.aws", "AwsSource.from_default_credentials"),
    "gcp": lazy("pricing.sources.gcp", "GcpSource.from_default_credentials"),
    "azure": lazy("pricing.sources.azure", "AzureSource.from_default_session"),
}


def get_source(name: str, **kwargs: Any) -> PriceSource:
    """Build the source registered as ``name``; keyword arguments go to its factory."""
    try:
        factory = SOURCES[name.strip().lower()]
    except KeyError:
        raise UnknownNameError(suggest(name, SOURCES, what="price source")) from None
    return factory(**kwargs)

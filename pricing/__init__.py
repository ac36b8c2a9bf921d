"""Where prices come from and how they are kept: the offer record, catalogs, sources, price books.

This package knows nothing of workloads; :mod:`planner` joins its offers with capacity requirements.
"""

from pricing.schema import PROVIDERS, PURCHASE_OPTIONS, RESOURCES, Offer

__all__ = ["PROVIDERS", "PURCHASE_OPTIONS", "RESOURCES", "Offer"]

"""The FOCUS columns every importer produces, and the rules shared by all of them.

The normalized frame follows the FinOps FOCUS specification (columns of version 1.0-1.2, see
https://focus.finops.org, retrieved 2026): one row per charge, ``BilledCost`` as invoiced,
``EffectiveCost`` amortized (commitment purchases spread over the usage they cover, the purchase itself 0),
``ListCost`` at public prices, all in ``BillingCurrency``. Columns a source does not have are null, never
guessed: a file with no currency column gives a null ``BillingCurrency`` (never USD), a usage row with no
list price a null ``ListCost`` (never 0).

One rule fills in ``ListCost`` where a source has no list price: FOCUS ``ListCost`` (spec
``columns/listcost.md``) says a charge unrelated to other charges, such as a credit, has a list cost equal
to its billed cost. The importers apply that to Credit, Adjustment, Purchase and Tax rows whose source
gives no list price; usage rows without one stay null.
"""

from __future__ import annotations

from typing import Any

FOCUS_COLUMNS: tuple[str, ...] = (
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ProviderName", "ServiceName", "ServiceCategory", "RegionId", "ResourceId", "SubAccountId", "SkuId",
    "ChargeCategory", "ChargeClass", "PricingCategory", "CommitmentDiscountId", "CommitmentDiscountStatus",
    "ConsumedQuantity", "ConsumedUnit", "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency", "Tags",
)
TIME_COLUMNS = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")
COST_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost")
NUMBER_COLUMNS = (*COST_COLUMNS, "ConsumedQuantity")
# Extra columns (FOCUS allows provider columns prefixed x_): the format a row was read as, and its file.
EXTRA_COLUMNS = ("x_Format", "x_SourceFile")

CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")

# FOCUS ProviderName as each cloud's own FOCUS export writes it, and the short name used in summaries.
PROVIDER_NAMES = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud", "oci": "Oracle"}
SHORT_PROVIDER = {
    "aws": "aws", "amazon web services": "aws", "amazon": "aws",
    "microsoft": "azure", "azure": "azure", "microsoft azure": "azure",
    "google cloud": "gcp", "google": "gcp", "gcp": "gcp", "google cloud platform": "gcp",
    "oracle": "oci", "oci": "oci", "oracle cloud infrastructure": "oci",
}


def short_provider(name: Any) -> Any:
    """``aws``/``azure``/``gcp``/``oci`` for a FOCUS ProviderName, other names as given, None for none."""
    if not isinstance(name, str) or not name.strip():
        return None
    return SHORT_PROVIDER.get(name.strip().lower(), name.strip())


# FOCUS ServiceCategory of the services seen most (the spec's fixed list of categories); anything not
# listed is "Other". Keys are lower case.
_AI = "AI and Machine Learning"
_MG = "Management and Governance"
SERVICE_CATEGORY: dict[str, dict[str, str]] = {
    "aws": {
        "amazonec2": "Compute", "awslambda": "Compute", "amazonecs": "Compute", "amazoneks": "Compute",
        "amazonlightsail": "Compute", "awsbatch": "Compute", "amazonelasticcomputecloud": "Compute",
        "amazonsagemaker": _AI, "amazonbedrock": _AI, "amazonrekognition": _AI, "amazoncomprehend": _AI,
        "amazontextract": _AI, "amazontranscribe": _AI, "amazonpolly": _AI, "amazontranslate": _AI,
        "amazons3": "Storage", "amazonefs": "Storage", "amazonfsx": "Storage", "awsbackup": "Storage",
        "amazons3glacierdeeparchive": "Storage", "amazonglacier": "Storage",
        "amazonrds": "Databases", "amazondynamodb": "Databases", "amazonelasticache": "Databases",
        "amazonredshift": "Analytics", "awsglue": "Analytics", "amazonathena": "Analytics",
        "amazonkinesis": "Analytics", "amazonopensearchservice": "Analytics", "amazonemr": "Analytics",
        "amazoncloudwatch": _MG, "awscloudtrail": _MG, "awsconfig": _MG, "awscloudshell": "Developer Tools",
        "awsdatatransfer": "Networking", "amazonvpc": "Networking", "amazoncloudfront": "Networking",
        "amazonroute53": "Networking", "awselb": "Networking", "awsdirectconnect": "Networking",
        "amazonsns": "Integration", "awsqueueservice": "Integration", "amazonsqs": "Integration",
        "awseventbridge": "Integration", "awsstepfunctions": "Integration",
        "awskms": "Security", "awssecretsmanager": "Security", "awswaf": "Security", "amazonguardduty": "Security",
        "awsiot": "Internet of Things", "awsmigrationhubrefactorspaces": "Migration",
        "awssupportbusiness": "Other", "awssupportenterprise": "Other",
    },
    "azure": {
        "virtual machines": "Compute", "virtual machines licenses": "Compute", "azure kubernetes service": "Compute",
        "container instances": "Compute", "functions": "Compute", "cloud services": "Compute",
        "azure app service": "Web", "app service": "Web",
        "azure machine learning": _AI, "machine learning": _AI, "cognitive services": _AI,
        "azure openai": _AI, "azure openai service": _AI, "foundry models": _AI, "azure ai services": _AI,
        "storage": "Storage", "backup": "Storage", "azure netapp files": "Storage",
        "sql database": "Databases", "sql managed instance": "Databases", "azure database for mysql": "Databases",
        "azure database for postgresql": "Databases", "azure cosmos db": "Databases", "redis cache": "Databases",
        "bandwidth": "Networking", "virtual network": "Networking", "load balancer": "Networking",
        "networking": "Networking", "vpn gateway": "Networking", "application gateway": "Networking",
        "azure front door service": "Networking", "azure dns": "Networking", "content delivery network": "Networking",
        "log analytics": _MG, "azure monitor": _MG, "insight and analytics": _MG,
        "advanced threat protection": "Security", "advanced data security": "Security",
        "microsoft defender for cloud": "Security", "key vault": "Security", "sentinel": "Security",
        "azure synapse analytics": "Analytics", "azure databricks": "Analytics", "azure data factory v2": "Analytics",
        "event hubs": "Integration", "service bus": "Integration", "logic apps": "Integration",
    },
    "gcp": {
        "compute engine": "Compute", "kubernetes engine": "Compute", "cloud run": "Compute",
        "cloud functions": "Compute", "app engine": "Compute",
        "vertex ai": _AI, "cloud tpu": _AI, "ai platform": _AI, "cloud ai platform": _AI, "gemini api": _AI,
        "cloud storage": "Storage", "filestore": "Storage", "persistent disk": "Storage",
        "cloud sql": "Databases", "cloud spanner": "Databases", "cloud bigtable": "Databases",
        "firestore": "Databases", "memorystore for redis": "Databases",
        "bigquery": "Analytics", "dataflow": "Analytics", "dataproc": "Analytics", "cloud pub/sub": "Integration",
        "stackdriver logging": _MG, "cloud logging": _MG, "cloud monitoring": _MG, "stackdriver monitoring": _MG,
        "security command center": "Security", "cloud key management service (kms)": "Security",
        "secret manager": "Security", "networking": "Networking", "cloud dns": "Networking",
        "cloud cdn": "Networking", "network intelligence center": "Networking",
    },
    "oci": {
        "compute": "Compute", "container_engine": "Compute", "functions": "Compute",
        "database": "Databases", "mysql": "Databases", "nosql": "Databases",
        "block_storage": "Storage", "objectstore": "Storage", "file_storage": "Storage",
        "network": "Networking", "load_balancer": "Networking", "dns": "Networking",
        "telemetry": _MG, "logging": _MG, "oracle_streaming_service": "Integration",
        "generative_ai": _AI, "data_science": _AI, "ai_services": _AI,
    },
}


def service_category(provider: str, name: Any) -> str:
    """FOCUS ServiceCategory of a service name or code of ``provider``; "Other" when not known."""
    if not isinstance(name, str):
        return "Other"
    table = SERVICE_CATEGORY.get(provider, {})
    key = name.strip().lower()
    return table.get(key) or table.get(key.replace(" ", "")) or "Other"

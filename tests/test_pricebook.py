"""Price books: precedence of rates and discounts, exact arithmetic, validation messages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from planner.errors import InputError
from pricing.pricebook import load_pricebook
from pricing.schema import Offer

BOOK = """\
name: acme-2026
discounts:
  - provider: aws
    percent: 12
    note: EDP
  - provider: aws
    family: p5
    percent: 30
  - provider: aws
    family: p5
    region: us-east-1
    purchase_option: on_demand
    percent: 35
  - provider: gcp
    service: Cloud Storage
    region: us-central1
    percent: 10
rates:
  - provider: azure
    instance_type: Standard_ND96isr_H100_v5
    region: eastus
    purchase_option: on_demand
    usd_per_hour: 60.0
"""


def offer(provider: str, itype: str | None, price: str | None, *, region: str = "us-east-1", po: str = "on_demand",
          service: str = "svc", unit: str = "hour", resource: str = "instance") -> Offer:
    return Offer(provider=provider, service=service, sku="x", region=region, resource=resource, purchase_option=po,
                 unit=unit, price=None if price is None else Decimal(price), source="t", effective_date="2026-01-01",
                 fetched_at="2026-01-01", instance_type=itype)


@pytest.fixture()
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = tmp_path / "pricebook.yaml"
    p.write_text(BOOK)
    return load_pricebook(p)


def test_most_specific_discount_wins(book) -> None:  # type: ignore[no-untyped-def]
    # p5.48xlarge us-east-1 on demand, list 55.04 (SkyPilot catalog): the 35 % rule (3 fields) beats
    # the 30 % family rule (1 field) and the 12 % provider rule: 55.04 x 0.65 = 35.776
    p5 = offer("aws", "p5.48xlarge", "55.04")
    assert book.contracted_price(p5) == Decimal("35.776")
    assert book.rule_for(p5) == ("acme-2026: 35% discount for provider=aws, family=p5, region=us-east-1, "
                                 "purchase_option=on_demand")
    # same type, spot 31.037: only the family rule (30 %) and provider rule match -> 31.037 x 0.70 = 21.7259
    assert book.contracted_price(offer("aws", "p5.48xlarge", "31.037", po="spot")) == Decimal("21.7259")
    # us-west-2: family rule -> 55.04 x 0.70 = 38.528
    assert book.contracted_price(offer("aws", "p5.48xlarge", "55.04", region="us-west-2")) == Decimal("38.528")


def test_family_is_not_a_bare_prefix(book) -> None:  # type: ignore[no-untyped-def]
    # p5e.48xlarge is not family p5: only the 12 % EDP applies; 10 x 0.88 = 8.8
    p5e = offer("aws", "p5e.48xlarge", "10")
    assert book.contracted_price(p5e) == Decimal("8.8")
    assert book.rule_for(p5e) == "acme-2026: 12% discount for provider=aws (EDP)"


def test_service_region_discount(book) -> None:  # type: ignore[no-untyped-def]
    # GCS standard us-central1 0.020 USD/GB-month, 10 % off = 0.018
    gcs = offer("gcp", None, "0.020", region="us-central1", service="Cloud Storage", unit="GB-month", resource="storage")
    assert book.contracted_price(gcs) == Decimal("0.018")
    other = offer("gcp", None, "0.020", region="europe-west4", service="Cloud Storage", unit="GB-month")
    assert book.contracted_price(other) == Decimal("0.020") and book.rule_for(other) is None


def test_private_rate_replaces_list_price(book) -> None:  # type: ignore[no-untyped-def]
    nd = offer("azure", "Standard_ND96isr_H100_v5", "98.32", region="eastus")
    assert book.contracted_price(nd) == Decimal("60.0")
    assert book.rule_for(nd) == ("acme-2026: private rate 60.0 USD/hour for provider=azure, "
                                 "instance_type=Standard_ND96isr_H100_v5, region=eastus, purchase_option=on_demand")
    # a private rate is a price in its own right: it applies even where the list price is missing
    assert book.contracted_price(offer("azure", "Standard_ND96isr_H100_v5", None, region="eastus")) == Decimal("60.0")
    # spot is not covered by the rate
    assert book.contracted_price(offer("azure", "Standard_ND96isr_H100_v5", "18.17", region="eastus", po="spot")) == \
        Decimal("18.17")


def test_missing_list_price_stays_missing(book) -> None:  # type: ignore[no-untyped-def]
    assert book.contracted_price(offer("aws", "p5e.48xlarge", None)) is None
    assert book.contracted_price(offer("lambda", "gpu_1x_h100", None)) is None


def test_tie_goes_to_first_listed(tmp_path: Path) -> None:
    p = tmp_path / "b.yaml"
    p.write_text("name: t\ndiscounts:\n  - {provider: aws, region: us-east-1, percent: 5}\n"
                 "  - {provider: aws, family: g5, percent: 20}\n")
    # both rules give one field besides provider: the first (5 %) wins -> 1.006 x 0.95 = 0.9557
    assert load_pricebook(p).contracted_price(offer("aws", "g5.xlarge", "1.006")) == Decimal("0.9557")


def check_error(tmp_path: Path, text: str, expected: str) -> str:
    p = tmp_path / "pricebook.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        load_pricebook(p)
    msg = str(err.value)
    assert "\n" not in msg and err.value.exit_code == 2
    assert msg == expected.format(p=p), msg
    return msg


def test_validation_messages(tmp_path: Path) -> None:
    check_error(tmp_path, "name: x\ndiscounts:\n  - provider: aws\n    percnt: 12\n",
                "{p}:4: discounts[0].percnt: unknown field 'percnt'; did you mean 'percent'? "
                "Valid: family, instance_type, note, percent, provider, purchase_option, region, resource, service, "
                "storage_class")
    check_error(tmp_path, "name: x\ndiscounts:\n  - provider: aws\n    percent: 120\n",
                "{p}:4: discounts[0].percent: must be between 0 and 100 (exclusive), not 120")
    check_error(tmp_path, "name: x\ndiscounts:\n  - provider: aws\n    percent: 0\n",
                "{p}:4: discounts[0].percent: must be between 0 and 100 (exclusive), not 0")
    check_error(tmp_path, "name: x\ndiscounts:\n  - provider: amazon\n    percent: 5\n",
                "{p}:3: discounts[0].provider: unknown provider 'amazon'. Valid: aws, azure, gcp, lambda")
    check_error(tmp_path, "name: x\nrates:\n  - provider: aws\n    purchase_option: ondemand\n    usd_per_hour: 1\n",
                "{p}:4: rates[0].purchase_option: unknown purchase option 'ondemand'; did you mean 'on_demand'? "
                "Valid: calendar, capacity_block, capacity_reservation, committed_1y, committed_3y, flex_start, on_demand, "
                "reserved_1y, reserved_3y, savings_plan_1y, "
                "savings_plan_3y, spot")
    check_error(tmp_path, "name: x\nrates:\n  - provider: aws\n    usd_per_hour: cheap\n",
                "{p}:4: rates[0].usd_per_hour: must be a number, not 'cheap'")
    check_error(tmp_path, "discounts: []\n", "{p}: name: missing 'name' (a label shown next to contracted prices)")
    check_error(tmp_path, "name: x\ndiscount:\n  - provider: aws\n",
                "{p}:2: discount: unknown field 'discount'; did you mean 'discounts'? Valid: discounts, name, rates")

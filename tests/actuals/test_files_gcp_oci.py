"""Google Cloud BigQuery billing export rows (standard and resource-level; CSV flattened and parquet nested) and
OCI cost reports. Public samples are checked against sums taken with the csv module; hand-made files cover
credits, taxes, commitment fees and list prices."""

from __future__ import annotations

import ast
import json
import math

import pytest

from planner.actuals import detect_format, read_actuals, summarize
from tests.actuals.conftest import csv_rows, num, sample, write_csv

GCP_HEADER = ["billing_account_id", "service.id", "service.description", "sku.id", "sku.description",
              "usage_start_time", "usage_end_time", "project.id", "labels", "location.region", "cost", "currency",
              "usage.amount", "usage.unit", "credits", "invoice.month", "cost_type", "cost_at_list"]

# March 2026 (invoice.month 202603), USD:
#   Vertex AI prediction  cost 50.00, list 60.00, sustained-use credit -5.00, label team=ml
#   Compute commitment fee (SKU "Commitment v1: ...")  cost 30.00, list 30.00 -> a Purchase
#   Compute N1 core       cost 20.00, list 25.00, committed-use credit -8.00, label team=web
#   tax                   cost  4.00, no list price
# billed = effective (Google bills commitments as monthly fees: nothing prepaid to spread)
#   = 50 - 5 + 30 + 20 - 8 + 4 = 91; list = 60 + 30 + 25 + (-5 - 8) + 4 = 106 (credits and tax: list = billed)
GCP_ROWS = [
    ["A-1", "AA", "Vertex AI", "s1", "Online prediction", "2026-03-02 10:00:00+00:00", "2026-03-02 11:00:00+00:00",
     "proj-ml", '[{"key": "team", "value": "ml"}]', "us-central1", "50.00", "USD", "1", "hour",
     '[{"name": "SUD", "amount": -5.0, "type": "SUSTAINED_USAGE_DISCOUNT", "id": "sud"}]', "202603", "regular",
     "60.00"],
    ["A-1", "CE", "Compute Engine", "s2", "Commitment v1: A2 GPU in Americas for 1 Year", "2026-03-01 08:00:00+00:00",
     "2026-04-01 07:00:00+00:00", "proj-ml", "[]", "us-central1", "30.00", "USD", "1", "month", "[]", "202603",
     "regular", "30.00"],
    ["A-1", "CE", "Compute Engine", "s3", "N1 Predefined Instance Core", "2026-03-03 00:00:00+00:00",
     "2026-03-03 01:00:00+00:00", "proj-web", "[{'key': 'team', 'value': 'web'}]", "us-east1", "20.00", "USD",
     "8", "hour", "[{'name': 'CUD', 'amount': -8.0, 'type': 'COMMITTED_USAGE_DISCOUNT', 'id': 'cud-1'}]",
     "202603", "regular", "25.00"],
    ["A-1", "", "Invoice", "", "Tax", "2026-03-31 00:00:00+00:00", "2026-04-01 00:00:00+00:00", "", "[]", "", "4.00",
     "USD", "", "", "[]", "202603", "tax", ""],
]


def test_gcp_hand_export_credits_tax_and_commitments(tmp_path):
    path = write_csv(tmp_path / "gcp.csv", GCP_HEADER, GCP_ROWS)
    assert detect_format(path) == "gcp-bigquery"
    s = summarize(path, by="month,provider,charge")
    rows = {r.charge: (r.billed_cost, r.effective_cost, r.list_cost) for r in s.itertuples()}
    assert rows == {"Usage": (70.0, 70.0, 85.0), "Purchase": (30.0, 30.0, 30.0), "Credit": (-13.0, -13.0, -13.0),
                    "Tax": (4.0, 4.0, 4.0)}
    assert set(s["month"]) == {"2026-03"} and set(s["provider"]) == {"gcp"}
    by_tag = {r.tag_team: r.billed_cost for r in summarize(path, by="tag:team").itertuples()}
    # a credit keeps the labels of its row: ml 50 - 5, web 20 - 8, untagged 30 + 4
    assert by_tag == {"ml": 45.0, "web": 12.0, None: 34.0}
    frame = read_actuals(path)
    credit = frame[frame["ChargeCategory"] == "Credit"]
    assert sorted(credit["BilledCost"]) == [-8.0, -5.0]
    assert list(credit.loc[credit["BilledCost"] == -8.0, "CommitmentDiscountId"]) == ["cud-1"]
    assert set(credit["ServiceName"]) == {"Vertex AI", "Compute Engine"}


def test_gcp_nested_parquet_matches_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def credits(text):
        items = ast.literal_eval(text)
        return [{"name": c["name"], "amount": c["amount"], "type": c["type"], "id": c["id"]} for c in items]

    def labels(text):
        return [{"key": d["key"], "value": d["value"]} for d in ast.literal_eval(text)]

    cols = list(zip(*GCP_ROWS, strict=True))
    col = dict(zip(GCP_HEADER, cols, strict=True))
    ts = pa.timestamp("us", tz="UTC")
    import pandas as pd

    table = pa.table({
        "billing_account_id": pa.array(col["billing_account_id"]),
        "service": pa.array([{"id": i, "description": d} for i, d in zip(col["service.id"],
                                                                          col["service.description"], strict=True)]),
        "sku": pa.array([{"id": i, "description": d} for i, d in zip(col["sku.id"], col["sku.description"],
                                                                      strict=True)]),
        "usage_start_time": pa.array(pd.to_datetime(list(col["usage_start_time"])), ts),
        "usage_end_time": pa.array(pd.to_datetime(list(col["usage_end_time"])), ts),
        "labels": pa.array([labels(v) for v in col["labels"]],
                           pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))),
        "cost": pa.array([float(v) for v in col["cost"]]),
        "currency": pa.array(col["currency"]),
        "credits": pa.array([credits(v) for v in col["credits"]],
                            pa.list_(pa.struct([("name", pa.string()), ("amount", pa.float64()),
                                                ("type", pa.string()), ("id", pa.string())]))),
        "invoice": pa.array([{"month": m} for m in col["invoice.month"]]),
        "cost_type": pa.array(col["cost_type"]),
        "cost_at_list": pa.array([float(v) if v else None for v in col["cost_at_list"]], pa.float64()),
    })
    path = tmp_path / "gcp.parquet"
    pq.write_table(table, path)
    assert detect_format(path) == "gcp-bigquery"
    csv_path = write_csv(tmp_path / "gcp.csv", GCP_HEADER, GCP_ROWS)
    by = "month,service,charge,tag:team"
    assert summarize(path, by=by).to_dict("records") == summarize(csv_path, by=by).to_dict("records")


def test_gcp_sample_standard_export_with_promotion_credits():
    path = sample("gcp/koku_gcp_bq_standard_2020-11-08_to_11.csv")
    rows = csv_rows(path)
    cost = sum(num(r["cost"]) for r in rows)
    credit = sum(c["amount"] for r in rows for c in ast.literal_eval(r["credits"]))
    assert {r["invoice.month"] for r in rows} == {"202011"}
    s = summarize(path, by="month,charge")
    got = {r.charge: r.billed_cost for r in s.itertuples()}
    assert got == {"Usage": pytest.approx(cost), "Credit": pytest.approx(credit)}
    assert credit < 0 and cost + credit == pytest.approx(0.0, abs=1e-12)  # free-trial credits cover it all
    assert set(s["month"]) == {"2020-11"}
    # labels written as Python lists of {'key', 'value'}
    bq = sum(num(r["cost"]) for r in rows if "bigquery_resource" in r["labels"])
    tagged = {r["tag_goog-resource-type"]: r["billed_cost"]
              for r in summarize(path, by="tag:goog-resource-type").to_dict("records")}
    assert tagged["bigquery_resource"] == pytest.approx(bq)


def test_gcp_sample_resource_level_export():
    path = sample("gcp/koku_gcp_bq_resource_2022-08-01.csv")
    rows = csv_rows(path)
    cost = sum(num(r["cost"]) for r in rows)
    s = summarize(path, by="month,service,resource")
    [row] = s.to_dict("records")
    assert math.isnan(row.pop("list_cost"))  # an export without cost_at_list: list price unknown
    assert row == {"month": "2022-08", "service": "Compute Engine", "resource": "//example",
                   "billed_cost": pytest.approx(cost), "effective_cost": pytest.approx(cost), "currency": "USD"}
    assert cost == pytest.approx(1.2e-05)


# -- OCI --------------------------------------------------------------------------------------------------

OCI_HEADER = ["lineItem/referenceNo", "lineItem/intervalUsageStart", "lineItem/intervalUsageEnd", "product/service",
              "product/region", "product/resourceId", "usage/billedQuantity", "cost/productSku", "cost/myCost",
              "cost/currencyCode", "lineItem/isCorrection", "tags/Team.Name"]


def test_oci_hand_report(tmp_path):
    # two GPU hours (2 x 3.05) on the ml team's instance, one block volume day (0.40) untagged, one correction
    # of -0.05 on the volume; OCI bills as used: billed = effective, no list price in the report
    path = write_csv(tmp_path / "oci.csv", OCI_HEADER, [
        ["r1", "2026-03-02T10:00Z", "2026-03-02T11:00Z", "COMPUTE", "us-ashburn-1", "gpu-1", "1", "B95909", "3.05",
         "USD", "false", "ml"],
        ["r2", "2026-03-02T11:00Z", "2026-03-02T12:00Z", "COMPUTE", "us-ashburn-1", "gpu-1", "1", "B95909", "3.05",
         "USD", "false", "ml"],
        ["r3", "2026-03-02T00:00Z", "2026-03-03T00:00Z", "BLOCK_STORAGE", "us-ashburn-1", "vol-1", "24", "B91961",
         "0.40", "USD", "false", ""],
        ["r4", "2026-03-02T00:00Z", "2026-03-03T00:00Z", "BLOCK_STORAGE", "us-ashburn-1", "vol-1", "-3", "B91961",
         "-0.05", "USD", "true", ""],
    ])
    assert detect_format(path) == "oci"
    s = summarize(path, by="month,provider,service,tag:Team.Name")
    rows = {(r["service"], r["tag_Team.Name"]): r["billed_cost"] for r in s.to_dict("records")}
    assert rows == {("COMPUTE", "ml"): pytest.approx(6.10), ("BLOCK_STORAGE", None): pytest.approx(0.35)}
    assert set(s["provider"]) == {"oci"} and set(s["month"]) == {"2026-03"}
    assert s["list_cost"].isna().all()
    frame = read_actuals(path)
    assert list(frame["ChargeClass"]) == [None, None, None, "Correction"]
    assert frame["ServiceCategory"].tolist() == ["Compute", "Compute", "Storage", "Storage"]


def test_oci_sample_report():
    path = sample("oci/oci_cost_report_2023-11_506rows.csv")
    rows = csv_rows(path)
    total = sum(num(r["cost/myCost"]) for r in rows)
    mysql = sum(num(r["cost/myCost"]) for r in rows if r["product/service"] == "MYSQL")
    boots = sum(num(r["cost/myCost"]) for r in rows if r["tags/Valtest.Cat"] == "boots")
    s = summarize(path, by="month,service")
    assert set(s["month"]) == {"2023-11"}  # from lineItem/intervalUsageStart such as 2023-11-13T10:00Z
    assert s["billed_cost"].sum() == pytest.approx(total)
    assert {r.service: r.billed_cost for r in s.itertuples()}["MYSQL"] == pytest.approx(mysql)
    tagged = summarize(path, by="tag:Valtest.Cat")
    assert {r["tag_Valtest.Cat"]: r["billed_cost"] for r in tagged.to_dict("records")}["boots"] == pytest.approx(boots)
    assert json.dumps(read_actuals(path)["Tags"].iloc[0])  # tags are plain JSON-able dicts

"""A tiny hand-built Dataset for the journey and retention tests: three customers whose
every order, delivery, complaint and survey is written out, so expectations can be counted by hand."""
from __future__ import annotations

import pandas as pd

from insight.contract import Dataset

T = pd.Timestamp


def tiny_dataset() -> Dataset:
    orders = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", "a", "b", "c", "c"],
        "order_date": [T("2024-01-01"), T("2024-01-01"), T("2024-03-01"), T("2024-01-05"),
                       T("2024-01-10"), T("2024-12-01")],
        "product_id": "p", "quantity": 1.0, "unit_price": [10, 5, 20, 7, 3, 4.0],
        "promised_date": [T("2024-01-03")] * 3 + [T("2024-01-07"), T("2024-01-12"), T("2024-12-03")],
        "delivered_date": [T("2024-01-03"), T("2024-01-04"), T("2024-03-02"), T("2024-01-07"),
                           T("2024-01-15"), pd.NaT]})
    complaints = pd.DataFrame({"ticket_id": ["t1"], "customer_id": ["c"], "order_id": ["o4"],
                               "opened_at": [T("2024-01-16")], "resolved_at": [T("2024-01-18")]})
    surveys = pd.DataFrame({"response_id": ["s1", "s2"], "customer_id": ["b", "z"],
                            "submitted_at": [T("2024-01-08"), T("2024-02-01")], "nps": [9.0, 3.0]})
    return Dataset(orders=orders, complaints=complaints, surveys=surveys)

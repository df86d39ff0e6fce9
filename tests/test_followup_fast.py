"""Known answers for the vectorized helpers of insight.followup."""
import numpy as np
import pandas as pd

from insight import followup as F


def test_reason_codes_sorted_distinct_per_customer():
    cust = pd.Series(["b", "a", "b", "b", "a"], dtype="str")
    reason = pd.Series(["return", "late_delivery", "negative_review", "return", "late_delivery"], dtype="str")
    out = F._reason_codes(cust, reason, pd.Index(["b", "a"], dtype="str"))
    assert out.to_dict() == {"b": "negative_review,return", "a": "late_delivery"}
    assert F._reason_labels("negative_review,return") == "نظر منفی (negative_review)؛ مرجوعی (return)"


def test_spend_window_cancelled_and_unknown():
    orders = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", "b", "a", None, "b"],
        "order_date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-02-01", "2023-01-01",
                                      "2024-03-01", "2024-03-02"]),
        "quantity": [1.0, 2.0, 1.0, 5.0, 1.0, np.nan],
        "unit_price": [10.0, 5.0, 7.0, 100.0, 3.0, 8.0],
        "status": ["delivered", "delivered", "Cancelled", "delivered", "delivered", "delivered"]})
    # a: 10 + 10 (o3 is older than 365 days); b: o2 cancelled, o5 has no quantity -> 0; z: no orders
    got = F._spend(orders, pd.Index(["b", "z", "a"], dtype="str"), pd.Timestamp("2024-03-30"))
    assert got.to_dict() == {"b": 0.0, "z": 0.0, "a": 20.0}
    # listed ids looked up among the orders' (inverted positions) or, repeated, the other way
    # round: a repeated id's spend goes to its first position, as before
    got = F._spend(orders, pd.Index(["a", "b", "a"], dtype="str"), pd.Timestamp("2024-03-30"))
    assert got.tolist() == [20.0, 0.0, 0.0] and got.index.tolist() == ["a", "b", "a"]
    got = F._spend(orders, pd.Index(["z", "a"], dtype="str"), pd.Timestamp("2024-03-30"))
    assert got.tolist() == [0.0, 20.0]


def test_mask_distinct_keeps_missing():
    s = pd.Series(["تماس ۰۹۱۲۳۴۵۶۷۸۹", np.nan, "تماس ۰۹۱۲۳۴۵۶۷۸۹", "خوب"], dtype="str")
    out = F._mask_distinct(s)
    assert pd.isna(out.iloc[1]) and out.iloc[0] == out.iloc[2] and "۰۹۱۲" not in out.iloc[0]
    assert out.iloc[3] == "خوب"


def test_followup_list_empty_keeps_columns():
    T = pd.to_datetime
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "order_date": T(["2024-03-20"]),
                           "quantity": [1.0], "unit_price": [100.0], "promised_date": T(["2024-03-22"]),
                           "delivered_date": T(["2024-03-21"]), "status": "delivered"})
    out = F.followup_list({"orders": orders})
    assert len(out) == 0
    assert list(out.columns) == ["rank", "customer_id", "value", "value_source", "signals", "reasons",
                                 "reason_codes", "first_event", "last_event", "days_since", "last_contact",
                                 "excerpt"]


def test_take_chunk_by_chunk_matches_iloc():
    import pyarrow as pa

    ca = pa.chunked_array([pa.array(["a", None, "c"]), pa.array([], pa.large_string()).cast(pa.string()),
                           pa.array(["d", "e"])])
    s = pd.Series(pd.arrays.ArrowStringArray(ca, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
                  index=[10, 11, 12, 13, 14], name="x")
    got = F._take(s, np.array([1, 2, 4]))
    assert got.dtype == s.dtype and got.name == "x" and got.index.tolist() == [11, 12, 14]
    assert pd.isna(got.iloc[0]) and got.iloc[1:].tolist() == ["c", "e"]
    assert len(F._take(s, np.array([], dtype=np.int64))) == 0
    back = F._take(s, np.array([4, 0]))          # not increasing: plain iloc
    assert back.tolist() == ["e", "a"]


def test_late_orders_from_order_numbers():
    def T(v):
        return pd.to_datetime(v, format="ISO8601")
    orders = pd.DataFrame({
        # o1: lines promised 3/10 and 3/12, delivered 3/12 23:00 and 3/11 -> latest 3/12 vs 3/12: on time
        # o2: delivered 3/14 00:30, promised 3/13 23:59 -> late (next calendar day); first line
        #     has no customer, the second one does
        # o3: late but delivered before the window; o4: late, no customer on any line
        # o5: late, delivered after as_of
        "order_id": ["o1", "o1", "o2", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", None, "b", "c", None, "d"],
        "order_date": T(["2024-03-01"] * 7),
        "promised_date": T(["2024-03-10", "2024-03-12", "2024-03-13 23:59", None, "2024-03-01",
                            "2024-03-10", "2024-03-10"]),
        "delivered_date": T(["2024-03-12 23:00", "2024-03-11", "2024-03-14 00:30", None, "2024-03-05",
                             "2024-03-15", "2024-03-25"])})
    got = F._late_orders(orders, pd.Timestamp("2024-03-10"), pd.Timestamp("2024-03-20"))
    assert got["customer_id"].tolist()[0] == "b" and pd.isna(got["customer_id"].iloc[1])
    assert got["delivered_date"].tolist() == [T("2024-03-14 00:30"), T("2024-03-15")]
    # through _signals: the customer-less order is dropped, as order_level + dropna did
    ev = F._signals({"orders": orders, "reviews": None, "surveys": None, "complaints": None,
                     "returns": None}, pd.Timestamp("2024-03-20"), pd.Timestamp("2024-03-10"))
    assert ev[["customer_id", "reason"]].values.tolist() == [["b", "late_delivery"]]


def test_max_date_int_view():
    T = pd.to_datetime
    s = pd.Series(T(["2024-01-02", None, "2024-03-04 05:06:07.000000009"], format="mixed"))
    assert F._max_date(s) == T("2024-03-04 05:06:07.000000009") and F._max_date(s).unit == "ns"
    assert F._max_date(pd.Series(T([None, None])).astype("datetime64[ns]")) is pd.NaT
    assert F._max_date(pd.Series([], dtype="datetime64[ns]")) is pd.NaT


def test_followup_list_per_customer_order_ties_and_contact():
    def T(v):
        return pd.to_datetime(v, format="ISO8601")
    # as_of 03-30 (latest date), 14 days.  cb: review 03-20 "first", complaint 03-25 (open),
    # survey 03-25 (same time as the complaint; surveys come before complaints, so the
    # complaint's text is the latest), and a complaint resolved 03-22 before the last event
    # -> listed.  ca: one review on 03-18,
    # contacted after it (ticket resolved 03-19) -> not listed; cc: review 03-17, blank text
    reviews = pd.DataFrame({"review_id": ["r1", "r2", "r3"], "customer_id": ["cb", "ca", "cc"],
                            "order_id": [None, None, None],
                            "created_at": T(["2024-03-20", "2024-03-18", "2024-03-17"]),
                            "rating": [1.0, 1.0, 2.0], "text": ["first", "x", "  "]})
    complaints = pd.DataFrame({"ticket_id": ["t1", "t2", "t3"], "customer_id": ["cb", "cb", "ca"],
                               "order_id": [None, None, None],
                               "opened_at": T(["2024-03-25", "2024-03-10", "2024-03-10"]),
                               "resolved_at": T([None, "2024-03-22", "2024-03-19"]),
                               "text": ["open one", "old", "old"]})
    surveys = pd.DataFrame({"response_id": ["s1"], "customer_id": ["cb"],
                            "submitted_at": T(["2024-03-25"]), "nps": [2.0], "comment": ["latest"]})
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["cb"], "order_date": T(["2024-03-30"]),
                           "quantity": [1.0], "unit_price": [10.0]})
    out = F.followup_list({"orders": orders, "reviews": reviews, "complaints": complaints,
                           "surveys": surveys})
    assert out["customer_id"].tolist() == ["cb", "cc"]
    assert out["signals"].tolist() == [3, 1]
    assert out["first_event"].tolist() == list(T(["2024-03-20", "2024-03-17"]))
    assert out["last_event"].tolist() == list(T(["2024-03-25", "2024-03-17"]))
    assert out["last_contact"].iloc[0] == T("2024-03-22") and pd.isna(out["last_contact"].iloc[1])
    assert out["reason_codes"].tolist() == ["negative_review,negative_survey,unresolved_complaint",
                                            "negative_review"]
    assert out["excerpt"].iloc[0] == "open one" and pd.isna(out["excerpt"].iloc[1])

"""The built-in sample data: contract shape, integrity, determinism, and the causal
effects it promises (insight.sample.EFFECTS) really being in the data."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from insight import contract, sample
from insight.sample import EFFECTS

TODAY = pd.Timestamp("2024-09-21")  # default start 2023-03-21 + 18 months
EVENT_DATES = {
    "customers": ["signup_date"], "orders": ["order_date", "delivered_date"], "returns": ["return_date"],
    "complaints": ["opened_at", "resolved_at"], "reviews": ["created_at"], "surveys": ["submitted_at"],
}
PHONE = r"(?:\+98 ?|0|۰)(?:9|۹)[0-9۰-۹]{2}[ -]?[0-9۰-۹]{3}[ -]?[0-9۰-۹]{4}"


@pytest.fixture(scope="module")
def sim():
    return sample.simulate(customers=3000, seed=11)


@pytest.fixture(scope="module")
def ds(sim):
    return sim[0]


@pytest.fixture(scope="module")
def orders(ds):
    """One row per order with late / complaint flags."""
    o = ds.orders.drop_duplicates("order_id").copy()
    o["late"] = o["delivered_date"] > o["promised_date"]
    o["complaint"] = o["order_id"].isin(set(ds.complaints["order_id"].dropna()))
    return o


# ---------------------------------------------------------------- shape
def test_every_table_has_contract_columns_and_dtypes(ds):
    assert ds.present() == list(contract.TABLES)
    for name, df in ds.tables():
        want = [c.name for c in contract.columns(name)]
        assert list(df.columns) == want, name
        for c in contract.columns(name):
            assert str(df[c.name].dtype) == contract.dtype_for(c.kind), (name, c.name, df[c.name].dtype)
        for col in contract.required(name):
            assert df[col].notna().all(), (name, col)
    assert ds.currency == "rial"


def test_volumes_match_the_brief(ds):
    lines = len(ds.orders)
    assert 4.0 < lines / len(ds.customers) < 6.5
    assert 0.15 < len(ds.reviews) / lines < 0.25
    assert 0.07 < len(ds.complaints) / lines < 0.14
    assert 0.07 < len(ds.surveys) / lines < 0.14
    assert 0.03 < len(ds.returns) / lines < 0.07
    assert len(ds.products) == 120


def test_primary_keys_unique_and_values_in_range(ds):
    for name, (pk, _) in contract.TABLES.items():
        if pk:
            assert getattr(ds, name)[pk].is_unique, name
    assert set(ds.orders["status"].dropna()) == set(contract.ORDER_STATUSES)
    assert ds.orders["status"].isna().mean() < 0.02          # in transit at `today`
    assert ds.orders["unit_price"].between(50_000, 200_000_000).all()
    assert (ds.orders["quantity"] >= 1).all()
    assert set(ds.reviews["rating"].unique()) == {1, 2, 3, 4, 5}
    s = ds.surveys
    assert s["nps"].between(0, 10).all() and s["csat"].dropna().between(1, 5).all()
    assert s["ces"].dropna().between(1, 5).all()
    assert set(s["touchpoint"]) == set(sample.TOUCHPOINTS)
    assert ds.complaints["contacts"].between(1, 5).all()
    assert set(ds.returns["reason_code"]) == set(sample.RETURN_CODES)
    assert "تهران" in set(ds.customers["city"]) and "مواد غذایی" in set(ds.products["category"])


# ---------------------------------------------------------------- integrity
def test_referential_integrity(ds):
    customers = set(ds.customers["customer_id"])
    products = set(ds.products["product_id"])
    o = ds.orders
    assert set(o["customer_id"]) <= customers and set(o["product_id"]) <= products
    assert (o.groupby("order_id")["customer_id"].nunique() == 1).all()
    lines = set(zip(o["order_id"], o["product_id"]))
    r = ds.returns
    assert set(zip(r["order_id"], r["product_id"])) <= lines
    delivered = set(zip(o.loc[o["status"].eq("delivered"), "order_id"], o.loc[o["status"].eq("delivered"), "product_id"]))
    assert set(zip(r["order_id"], r["product_id"])) <= delivered
    owner = o.drop_duplicates("order_id").set_index("order_id")["customer_id"]
    assert (r["customer_id"] == r["order_id"].map(owner)).all()
    c = ds.complaints
    assert set(c["customer_id"]) <= customers
    with_order = c.dropna(subset=["order_id"])
    assert (with_order["customer_id"] == with_order["order_id"].map(owner)).all()
    assert 0 < c["order_id"].isna().mean() < 0.15
    v = ds.reviews
    assert set(v["product_id"]) <= products and set(zip(v["order_id"], v["product_id"])) <= lines
    assert set(ds.surveys["customer_id"]) <= customers


def test_dates_are_plausible(ds):
    o = ds.orders
    assert o["order_date"].min() >= pd.Timestamp("2023-03-21")
    done = o["delivered_date"].notna()
    assert (o.loc[done, "delivered_date"] >= o.loc[done, "order_date"]).all()
    assert (o["promised_date"] >= o["order_date"]).all()
    assert o.loc[o["status"].ne("delivered"), "delivered_date"].isna().all()
    signup = o["customer_id"].map(ds.customers.set_index("customer_id")["signup_date"])
    assert (o["order_date"] >= signup).all()
    c = ds.complaints
    res = c["resolved_at"].notna()
    assert (c.loc[res, "resolved_at"] >= c.loc[res, "opened_at"]).all()
    assert c.loc[~res, "csat_after"].isna().all()
    r = ds.returns.merge(o[["order_id", "product_id", "delivered_date"]], on=["order_id", "product_id"])
    assert (r["return_date"] > r["delivered_date"]).all()
    for table, cols in EVENT_DATES.items():
        for col in cols:
            assert (getattr(ds, table)[col].dropna() < TODAY).all(), (table, col)


def test_today_truncates_everything(ds):
    cut = pd.Timestamp("2024-01-01")
    small = sample.generate(customers=400, seed=2, today=cut)
    for table, cols in EVENT_DATES.items():
        for col in cols:
            assert (getattr(small, table)[col].dropna() < cut).all(), (table, col)
    assert small.complaints["resolved_at"].isna().any()


# ---------------------------------------------------------------- determinism
def test_same_seed_same_frames_other_seed_differs():
    a = sample.generate(customers=300, seed=5)
    b = sample.generate(customers=300, seed=5)
    c = sample.generate(customers=300, seed=6)
    for name, df in a.tables():
        pd.testing.assert_frame_equal(df, getattr(b, name))
    assert not a.orders.equals(c.orders)
    assert not a.reviews["text"].equals(c.reviews["text"])


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="customers"):
        sample.generate(customers=0)
    with pytest.raises(ValueError, match="today"):
        sample.generate(customers=10, today="2020-01-01")


# ---------------------------------------------------------------- causal effects
def test_late_delivery_raises_complaints_returns_and_lowers_scores(ds, orders):
    d = orders[orders["delivered_date"].notna()]
    rate = d.groupby("late")["complaint"].mean()
    assert rate[True] > rate[False] + 0.25          # built in: 0.50 vs 0.13
    late_ids = set(d.loc[d["late"], "order_id"])
    rv = ds.reviews.assign(late=ds.reviews["order_id"].isin(late_ids))
    stars = rv.groupby("late")["rating"].mean()
    assert stars[False] - stars[True] > 0.8          # built in: -1.3 on the latent
    lines = ds.orders[ds.orders["status"].eq("delivered")]
    returned = pd.MultiIndex.from_frame(lines[["order_id", "product_id"]]).isin(
        pd.MultiIndex.from_frame(ds.returns[["order_id", "product_id"]]))
    by_late = pd.Series(returned).groupby(lines["order_id"].isin(late_ids).to_numpy()).mean()
    assert by_late[True] > 1.5 * by_late[False]      # built in: odds ratio 2
    # late texts talk about delivery
    said_late = rv["text"].str.contains("دیر|تاخیر|زمان تحویل", regex=True)
    assert said_late[rv["late"]].mean() > 3 * said_late[~rv["late"]].mean()


def test_tehran_delivers_faster(ds, orders):
    d = orders[orders["delivered_date"].notna()]
    city = d["customer_id"].map(ds.customers.set_index("customer_id")["city"])
    late = d.groupby(city.eq("تهران"))["late"].mean()
    assert late[True] < late[False]
    days = (d["delivered_date"] - d["order_date"]).dt.days
    assert days[city.eq("تهران").to_numpy()].mean() < days[~city.eq("تهران").to_numpy()].mean()


def test_repurchase_lower_after_late_and_unresolved(sim):
    truth = sim[1]["orders"]
    again = truth.groupby("late")["orders_again"].mean()
    assert again[True] < again[False] - 0.05
    by = truth.groupby("complaint")["orders_again"].mean()
    assert by["fast"] > by["unresolved"] + 0.1


def test_fast_resolution_means_fewer_contacts_and_better_csat(ds):
    c = ds.complaints
    hours = (c["resolved_at"] - c["opened_at"]).dt.total_seconds() / 3600
    state = np.where(c["resolved_at"].isna(), "open", np.where(hours < 24, "fast", "slow"))
    contacts = c.groupby(state)["contacts"].mean()
    assert contacts["fast"] < contacts["slow"] < contacts["open"]
    csat = c.groupby(state)["csat_after"].mean()
    assert csat["fast"] > csat["slow"] + 0.8


def test_problem_products_are_returned_and_backordered_far_more(ds):
    lines = ds.orders
    sold = lines[lines["status"].eq("delivered")].groupby("product_id").size()
    rate = (ds.returns.groupby("product_id").size() / sold).fillna(0)
    bad = list(EFFECTS.problem_products)
    assert (rate[bad] > 3 * rate.median()).all()
    backorder = lines["status"].eq("backordered").groupby(lines["product_id"]).mean()
    assert backorder[bad].max() > 5 * backorder.median()


def test_nowruz_and_yalda_peaks(orders):
    per_day = orders.groupby("order_date").size().reindex(
        pd.date_range("2023-03-21", "2024-09-20"), fill_value=0)
    nowruz = per_day["2024-03-10":"2024-03-19"].mean()
    before = per_day["2024-02-01":"2024-03-05"].mean()
    assert nowruz > 1.5 * before                     # built in: x2
    assert per_day["2023-12-15":"2023-12-21"].mean() > 1.15 * per_day["2023-11-01":"2023-11-20"].mean()


def test_channels_convert_differently_to_a_second_order(ds):
    n = ds.orders.drop_duplicates("order_id").groupby("customer_id").size()
    cust = ds.customers.set_index("customer_id").loc[n.index]
    old = cust["signup_date"] < "2024-03-01"
    second = (n[old] >= 2).groupby(cust.loc[old, "acquisition_channel"]).mean()
    assert second["referral"] > second["coupon_sites"] + 0.15


def test_segments_give_rfm_something_to_find(sim):
    ds, truth = sim
    n = ds.orders.drop_duplicates("order_id").groupby("customer_id").size()
    seg = truth["customers"].set_index("customer_id")["segment"]
    freq = n.groupby(seg.loc[n.index]).mean()
    assert freq["loyal"] > 2 * freq["regular"] > 2 * freq["one_time"]
    last = ds.orders.groupby("customer_id")["order_date"].max()
    churners = seg.loc[last.index].eq("churner")
    assert last[churners].median() < last[seg.loc[last.index].eq("loyal")].median()


# ---------------------------------------------------------------- texts
def test_texts_are_varied_like_real_text(ds):
    texts = pd.concat([ds.reviews["text"], ds.complaints["text"], ds.surveys["comment"].dropna(),
                       ds.returns["reason_text"].dropna()], ignore_index=True)
    assert texts.str.len().min() > 3 and texts.nunique() > 0.5 * len(texts)
    share = lambda pattern: texts.str.contains(pattern, regex=True).mean()  # noqa: E731
    assert share("\u200c") > 0.2                    # half-space present ...
    assert share("می[ ]?خوام|میخوام|نمیکنم|میرسه") > 0.01   # ... or missing / a space
    assert 0.005 < share("[يك]") < 0.15               # Arabic yeh / kaf
    assert share("[۰-۹]") > 0.01 and share("[0-9]") > 0.01
    assert share("[😍👌🙏👍😡😞👎🤬😤]") > 0.05
    phone = share(PHONE)
    assert 0.002 < phone < 0.05
    assert share(r"[\w.]+@\w+\.\w+") > 0.001
    assert 0.01 < share(PHONE + r"|@|(?:[0-9۰-۹][ -]?){15}[0-9۰-۹]") < 0.04   # ~2% carry PII


def test_review_sentiment_follows_rating(ds):
    rv = ds.reviews
    negative = rv["text"].str.contains("افتضاح|راضی نیستم|پیشنهاد نمی|حیف پول|دیر رسید|سرد|خراب", regex=True)
    assert negative[rv["rating"] <= 2].mean() > 3 * negative[rv["rating"] >= 4].mean()


# ---------------------------------------------------------------- effects are switchable
def test_effects_can_be_switched_off():
    none_late = replace(EFFECTS, p_late_by_tier=(0.0, 0.0, 0.0), p_late_ready_food=0.0)
    small = sample.generate(customers=300, seed=1, effects=none_late)
    o = small.orders
    assert not (o["delivered_date"] > o["promised_date"]).any()
    assert EFFECTS.or_repurchase_late == 0.5 and len(EFFECTS.problem_products) == 3
    assert json.loads(json.dumps(EFFECTS.to_dict()))["or_repurchase_complaint"]["unresolved"] == 0.35


# ---------------------------------------------------------------- CLI and files
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_writes_canonical_files(tmp_path, capsys, fmt):
    out = tmp_path / "sample"
    assert sample.cli(["--out", str(out), "--customers", "200", "--seed", "3", "--format", fmt]) == 0
    printed = capsys.readouterr().out
    assert "orders" in printed and "complaints" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{t}.{fmt}" for t in contract.TABLES] + ["sample.json"])
    meta = json.loads((out / "sample.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 3 and meta["parameters"]["customers"] == 200
    assert meta["effects"]["or_repurchase_late"] == EFFECTS.or_repurchase_late
    ds = sample.generate(customers=200, seed=3)
    assert meta["counts"] == ds.counts()
    for name, df in ds.tables():
        path = out / f"{name}.{fmt}"
        back = pd.read_csv(path, encoding="utf-8") if fmt == "csv" else pd.read_parquet(path)
        assert list(back.columns) == list(df.columns) and len(back) == len(df)
    if fmt == "csv":
        back = pd.read_csv(out / "orders.csv", dtype=str)
        assert back["order_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
        assert pd.read_csv(out / "reviews.csv")["text"].tolist() == ds.reviews["text"].tolist()
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(out / "orders.parquet"), ds.orders, check_dtype=False)


def test_cli_replaces_an_earlier_sample_in_the_other_format(tmp_path, capsys):
    out = tmp_path / "s"
    sample.cli(["--out", str(out), "--customers", "50"])
    sample.cli(["--out", str(out), "--customers", "50", "--format", "parquet"])
    assert not list(out.glob("*.csv")) and len(list(out.glob("*.parquet"))) == 7
    assert not list(out.glob(".*tmp*"))


def test_cli_rejects_bad_dates(tmp_path, capsys):
    assert sample.cli(["--out", str(tmp_path / "x"), "--today", "2020-01-01"]) == 2
    assert "today" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_repurchase_odds_ratio_for_late_delivery_is_recovered():
    """Mantel-Haenszel OR of 'orders again' for late vs on-time, stratified by hidden
    segment, on later orders without a complaint: the built-in 0.5 (seeds 21-28 give 0.43-0.59)."""
    o = sample.simulate(customers=10000, seed=21)[1]["orders"]
    o = o[(o["rank"] > 1) & o["complaint"].eq("none") & o["segment"].ne("churner")]
    num = den = 0.0
    for _, g in o.groupby("segment"):
        (a, b), (c, d) = pd.crosstab(g["late"], g["orders_again"]).reindex(
            index=[True, False], columns=[True, False], fill_value=0).to_numpy()
        num, den = num + a * d / len(g), den + b * c / len(g)
    assert 0.38 < num / den < 0.65
    assert EFFECTS.or_repurchase_late == 0.5


def test_tiny_and_empty_runs_keep_the_contract():
    ds = sample.generate(customers=1, seed=0, today="2023-03-22")   # nobody orders before today
    assert ds.counts()["orders"] == 0
    for name, df in ds.tables():
        assert [str(t) for t in df.dtypes] == [contract.dtype_for(c.kind) for c in contract.columns(name)]

"""Data for the benchmarks: ``insight.sample`` when it is there, this fallback otherwise.

``generate(customers, seed)`` returns an ``insight.contract.Dataset``.  The
fallback is vectorized numpy (about 5 order lines per customer, reviews 0.2,
complaint tickets 0.1 and survey answers 0.1 per order line, short Persian
texts from a few templates); the harness records which generator it used.
``write_parquet`` writes one Parquet file per table; ``write_chunks`` writes a
large order table in parts (for the 10M-line out-of-core run) without holding
it in memory.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from insight.contract import Dataset

T0 = np.datetime64("2022-03-21T00:00:00")  # 1 Farvardin 1401
SPAN_DAYS = 730

_POS = ["کیفیت عالی بود و به موقع رسید", "خیلی راضی هستم ممنون", "بسته‌بندی خوب و قیمت مناسب",
        "ارسال سریع بود، پیشنهاد می‌کنم", "همه چیز درست بود"]
_NEG = ["ارسال خیلی دیر انجام شد", "کالا خراب بود و پس دادم", "پشتیبانی جواب نمی‌دهد",
        "قیمت گران‌تر از کیفیت است", "سه بار تماس گرفتم و مشکل حل نشد", "اطلاعات محصول درست نبود"]
_NEU = ["سفارش رسید", "معمولی بود", "نظری ندارم", "اندازه متوسط است"]
_TEXTS = np.array(_POS + _NEG + _NEU, dtype=object)
_TAGS = np.array([" ", " واقعا ", " ولی ", " و ", " ۲ روز ", " ۱۴۰۲ "], dtype=object)


def _texts(rng: np.random.Generator, n: int) -> np.ndarray:
    a = _TEXTS[rng.integers(0, len(_TEXTS), n)]
    b = _TEXTS[rng.integers(0, len(_TEXTS), n)]
    tag = _TAGS[rng.integers(0, len(_TAGS), n)]
    return a + tag + b


def _ids(prefix: str, n: int, start: int = 0) -> pd.Series:
    return pd.Series(np.char.add(prefix, np.arange(start, start + n).astype(str)), dtype="str")


def fallback(customers: int, seed: int = 7, *, id_offset: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    nc = int(customers)
    cust_ids = _ids("C", nc, id_offset)
    signup = T0 + rng.integers(0, SPAN_DAYS - 30, nc).astype("timedelta64[D]")
    n_prod = max(50, min(5000, nc // 40))
    prod_ids = _ids("P", n_prod)
    cats = np.array(["موبایل", "لوازم خانگی", "پوشاک", "کتاب", "زیبایی", "ورزشی"], dtype=object)
    prod_cat = cats[rng.integers(0, len(cats), n_prod)]
    price = np.round(np.exp(rng.normal(13.5, 1.0, n_prod)), -3)

    # orders: 1 + Poisson(1) per customer, lines 1 + Poisson(1.5) per order -> ~5 lines/customer
    n_ord_c = 1 + rng.poisson(1.0, nc)
    oc = np.repeat(np.arange(nc), n_ord_c)
    no = len(oc)
    first = signup[oc]
    rank = np.arange(no) - np.repeat(np.cumsum(n_ord_c) - n_ord_c, n_ord_c)
    gap = rng.exponential(60.0, no) * (rank > 0)
    cum = pd.Series(gap).groupby(oc).cumsum().to_numpy()
    odate = first + (cum * 86400).astype("timedelta64[s]") + rng.integers(8 * 3600, 23 * 3600, no).astype("timedelta64[s]")
    n_lines_o = 1 + rng.poisson(1.5, no)
    lo = np.repeat(np.arange(no), n_lines_o)
    nl = len(lo)
    prod = np.minimum(rng.zipf(1.3, nl) - 1, n_prod - 1)
    status = np.array(["delivered", "cancelled", "backordered"], dtype=object)[
        rng.choice(3, nl, p=[0.9, 0.05, 0.05])]
    line_date = odate[lo]
    promised = (line_date.astype("datetime64[D]") + rng.integers(1, 5, nl).astype("timedelta64[D]"))
    delivered = promised + rng.integers(-1, 4, nl).astype("timedelta64[D]")
    delivered = np.where(status == "delivered", delivered, np.datetime64("NaT", "s"))
    order_ids = _ids("O", no, id_offset * 3)
    orders = pd.DataFrame({
        "order_id": order_ids.to_numpy()[lo], "customer_id": cust_ids.to_numpy()[oc[lo]],
        "order_date": line_date.astype("datetime64[ns]"), "product_id": prod_ids.to_numpy()[prod],
        "category": prod_cat[prod], "quantity": (1 + rng.poisson(0.3, nl)).astype("float64"),
        "unit_price": price[prod], "channel": np.where(rng.random(nl) < 0.7, "app", "web"),
        "promised_date": promised.astype("datetime64[ns]"), "delivered_date": delivered.astype("datetime64[ns]"),
        "status": status,
    })
    for c in ("order_id", "customer_id", "product_id", "category", "channel", "status"):
        orders[c] = orders[c].astype("str")

    deliv = np.flatnonzero(status == "delivered")
    ret = np.sort(rng.choice(deliv, int(0.05 * len(deliv)), replace=False))
    returns = pd.DataFrame({
        "return_id": _ids("R", len(ret), id_offset), "order_id": orders.order_id.to_numpy()[ret],
        "product_id": orders.product_id.to_numpy()[ret], "customer_id": orders.customer_id.to_numpy()[ret],
        "return_date": (delivered[ret] + rng.integers(1, 14, len(ret)).astype("timedelta64[D]")).astype("datetime64[ns]"),
        "reason_code": np.array(["damaged", "wrong_item", "not_as_described", "changed_mind"], dtype=object)[
            rng.integers(0, 4, len(ret))],
        "reason_text": _texts(rng, len(ret)),
    })

    def pick(n):
        return np.sort(rng.integers(0, nl, n))

    rv = pick(int(0.2 * nl))
    reviews = pd.DataFrame({
        "review_id": _ids("V", len(rv), id_offset), "customer_id": orders.customer_id.to_numpy()[rv],
        "product_id": orders.product_id.to_numpy()[rv], "order_id": orders.order_id.to_numpy()[rv],
        "created_at": (line_date[rv] + rng.integers(3, 30, len(rv)).astype("timedelta64[D]")).astype("datetime64[ns]"),
        "rating": rng.choice([1.0, 2, 3, 4, 5], len(rv), p=[0.08, 0.07, 0.15, 0.3, 0.4]),
        "text": _texts(rng, len(rv)),
    })
    ck = pick(int(0.1 * nl))
    opened = line_date[ck] + rng.integers(1, 20, len(ck)).astype("timedelta64[D]")
    complaints = pd.DataFrame({
        "ticket_id": _ids("T", len(ck), id_offset), "customer_id": orders.customer_id.to_numpy()[ck],
        "order_id": orders.order_id.to_numpy()[ck], "opened_at": opened.astype("datetime64[ns]"),
        "resolved_at": np.where(rng.random(len(ck)) < 0.8,
                                opened + rng.integers(3600, 10 * 86400, len(ck)).astype("timedelta64[s]"),
                                np.datetime64("NaT", "s")).astype("datetime64[ns]"),
        "channel": np.array(["phone", "chat", "email"], dtype=object)[rng.integers(0, 3, len(ck))],
        "category": np.array(["delivery", "product", "refund", "support"], dtype=object)[rng.integers(0, 4, len(ck))],
        "text": _texts(rng, len(ck)), "contacts": (1 + rng.poisson(0.7, len(ck))).astype("float64"),
        "csat_after": rng.integers(1, 6, len(ck)).astype("float64"),
    })
    sv = pick(int(0.1 * nl))
    surveys = pd.DataFrame({
        "response_id": _ids("S", len(sv), id_offset), "customer_id": orders.customer_id.to_numpy()[sv],
        "submitted_at": (line_date[sv] + rng.integers(1, 10, len(sv)).astype("timedelta64[D]")).astype("datetime64[ns]"),
        "touchpoint": np.array(["delivery", "support", "checkout"], dtype=object)[rng.integers(0, 3, len(sv))],
        "nps": rng.integers(0, 11, len(sv)).astype("float64"), "csat": rng.integers(1, 6, len(sv)).astype("float64"),
        "ces": rng.integers(1, 6, len(sv)).astype("float64"), "comment": _texts(rng, len(sv)),
    })
    customers_df = pd.DataFrame({
        "customer_id": cust_ids, "signup_date": signup.astype("datetime64[ns]"),
        "city": np.array(["تهران", "مشهد", "اصفهان", "شیراز", "تبریز"], dtype=object)[rng.integers(0, 5, nc)],
        "acquisition_channel": np.array(["search", "social", "referral", "ads"], dtype=object)[rng.integers(0, 4, nc)],
    })
    products = pd.DataFrame({"product_id": prod_ids, "name": np.char.add("کالای ", np.arange(n_prod).astype(str)),
                             "category": prod_cat, "price": price})
    ds = Dataset(orders=orders, customers=customers_df, products=products, returns=returns,
                 complaints=complaints, reviews=reviews, surveys=surveys)
    for name, df in ds.tables():
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].astype("str")
    return ds


def generate(customers: int, seed: int = 7) -> tuple[Dataset, str]:
    """(Dataset, generator name): ``insight.sample.generate`` if importable, else the fallback."""
    try:
        from insight import sample
        gen = getattr(sample, "generate")
    except (ImportError, AttributeError):
        return fallback(customers, seed), "benchmarks.synth.fallback"
    return gen(customers=customers, seed=seed), "insight.sample.generate"


def write_parquet(ds: Dataset, folder: Path) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, df in ds.tables():
        if df is not None:
            df.to_parquet(folder / f"{name}.parquet", index=False)
            counts[name] = len(df)
    return counts


def write_chunks(order_lines: int, folder: Path, seed: int = 7, lines_per_chunk: int = 1_000_000) -> int:
    """Order lines only, in Parquet parts of about ``lines_per_chunk``; returns lines written."""
    folder.mkdir(parents=True, exist_ok=True)
    done, i = 0, 0
    while done < order_lines:
        want = min(lines_per_chunk, order_lines - done)
        ds = fallback(max(1, want // 5), seed + i, id_offset=i * 10_000_000)
        o = ds.orders.iloc[:want]
        o.to_parquet(folder / f"part-{i:04d}.parquet", index=False)
        if ds.returns is not None:
            (folder.parent / (folder.name + "_returns")).mkdir(exist_ok=True)
            ds.returns.to_parquet(folder.parent / (folder.name + "_returns") / f"part-{i:04d}.parquet", index=False)
        done += len(o)
        i += 1
    return done

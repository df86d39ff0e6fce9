"""insight.themes: keyword themes with aspect sentiment, discovery, trends, scorecard, quotes.

All sentences are written for these tests."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import themes

# (text, themes that must be found, themes that must NOT be found), one comment per case
TAG_CASES = [
    ("سفارش یک ساعت دیر رسید", {"delivery_time"}, set()),                    # lateness
    ("دیروز سفارش دادم و به موقع رسید", {"delivery_time"}, set()),           # دیروز is not دیر; به موقع is
    ("دیروز سفارش دادم", set(), {"delivery_time"}),                          # "yesterday" alone: no delivery theme
    ("غذا کاملا سرد بود", {"food_temperature"}, set()),                       # cold food
    ("پیتزا یخ کرده بود", {"food_temperature"}, set()),                       # informal "had frozen"
    ("بسته‌بندی پاره شده بود", {"packaging"}, set()),                         # ZWNJ compound keyword
    ("قیمتش نسبت به حجمش خیلی گرونه", {"price_value"}, set()),               # price + quantity
    ("پیک خیلی بی ادب بود", {"staff"}, set()),                               # courier behaviour
    ("پیک ده دقیقه دیر رسید", {"delivery_time"}, {"staff"}),                 # courier lateness is delivery, not behaviour
    ("پرداخت انجام شد ولی سفارش ثبت نشد", {"app_payment"}, set()),           # payment / app failure
    ("کالا رو مرجوع کردم و هنوز پولم برنگشته", {"refund_return"}, set()),    # refund
    ("برای بار سوم باید دوباره توضیح میدادم", {"repeat_info"}, set()),       # repeating information
    ("چند بار تماس گرفتم تا جواب دادن", {"repeat_info"}, set()),             # repeat contacts
    ("نوشابه رو نفرستاده بودن", {"wrong_missing"}, set()),                   # missing item
    ("سایز اشتباه ارسال شده", {"wrong_missing"}, set()),                     # wrong item
    ("رنگش اصلا شبیه عکس نبود", {"description"}, set()),                    # description honesty
    ("محصول ناموجود شد و سفارشم لغو شد", {"stock"}, set()),                  # availability
    ("كيفيت غذا عالي بود", {"product_quality"}, set()),                      # Arabic ك/ي folded before matching
    ("سلام، وقت بخیر", set(), set(themes.themes_table()["theme"])),          # no theme at all
]


@pytest.mark.parametrize("text,must,must_not", TAG_CASES)
def test_tag_cases(text, must, must_not):
    found = set(themes.tag([text])["theme"])
    assert must <= found, found
    assert not (must_not & found), found


def test_tag_columns_index_and_aspect_sentiment():
    texts = pd.Series(["غذا خیلی خوشمزه بود ولی پیک یک ساعت دیر رسید", None, "قیمت مناسب بود"],
                      index=["r1", "r2", "r3"])
    tags = themes.tag(texts)
    assert list(tags.columns) == ["doc", "theme", "attribute", "sentence", "keyword", "sentiment", "score"]
    by = tags.set_index(["doc", "theme"])
    # the contrast clause is split: the food is praised, the delivery is not
    assert by.loc[("r1", "product_quality"), "sentiment"] == "positive"
    assert by.loc[("r1", "delivery_time"), "sentiment"] == "negative"
    assert by.loc[("r1", "delivery_time"), "attribute"] == "reliability"
    assert "دیر" in by.loc[("r1", "delivery_time"), "sentence"]
    assert by.loc[("r3", "price_value"), "attribute"] == "value"
    assert "r2" not in set(tags["doc"])
    assert tags["score"].between(-1, 1).all()
    assert tags.duplicated(["doc", "theme"]).sum() == 0


def test_tag_sentences_that_fold_to_nothing_keep_their_neighbours_apart():
    # two sentences of only tatweel / a diacritic fold to "": the theme stays on its own sentence
    tags = themes.tag(["قیمت خوب بود. ـ. \u064e. غذا سرد بود"]).set_index("theme")
    assert tags.loc["food_temperature", "sentence"] == "غذا سرد بود"
    assert tags.loc["price_value", "sentence"] == "قیمت خوب بود"


def test_tag_repeated_texts_and_contrast_word_at_the_end():
    texts = ["پیک دیر رسید ولی", "پیک دیر رسید ولی", "قیمت بالا بود but", None, "پیک دیر رسید ولی"]
    tags = themes.tag(texts)
    assert tags["doc"].tolist() == [0, 1, 2, 4]          # one row per text, repeats included
    assert tags.loc[tags["doc"] == 0, "sentence"].item() == "پیک دیر رسید ولی"  # a trailing ولی does not split
    assert tags.loc[tags["doc"] == 2, "sentence"].item() == "قیمت بالا بود but"
    assert (tags.loc[tags["doc"] != 2, ["theme", "keyword", "score"]].nunique() == 1).all()


def test_tag_keyword_does_not_depend_on_the_hash_seed():
    import os
    import subprocess
    import sys

    code = "from insight import themes; print(themes.tag(['بسته بندی خوب بود'])['keyword'].item())"
    got = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.strip() for seed in range(4)}
    assert got == {"بسته بندی"}  # the longer keyword wins the tie with "بسته$", in every process


def test_every_theme_maps_to_an_attribute():
    t = themes.themes_table()
    assert set(t["attribute"]) == set(themes.ATTRIBUTES)  # all four attributes are covered
    assert t["theme"].is_unique and (t["n_keywords"] > 3).all()


def test_tag_empty():
    assert themes.tag([]).empty
    assert list(themes.tag(["سلام"]).columns)[:3] == ["doc", "theme", "attribute"]


# ---------------------------------------------------------------- quotes
def test_quotes_masked_short_plain():
    texts = pd.Series([
        "سفارشم سه روز دیر رسید، شماره من ۰۹۱۲۳۴۵۶۷۸۹ است <b>لطفا</b> زنگ بزنید",
        "خیلی دیر رسید و غذا سرد شده بود " + "واقعا " * 40,
        "تاخیر داشت",
        "به موقع رسید، ممنون",
    ])
    tags = themes.tag(texts)
    q = themes.quotes(texts, tags, "delivery_time", k=3)
    assert len(q) >= 2 and (q["sentiment"] == "negative").all()
    assert q["quote"].str.len().max() <= 160
    joined = " ".join(q["quote"])
    assert "۰۹۱۲" not in joined and "09123456789" not in joined  # phone masked
    assert "<b>" not in joined                                     # markup stripped
    pos = themes.quotes(texts, tags, "delivery_time", sentiment="positive")
    assert pos["doc"].tolist() == [3]
    with pytest.raises(ValueError, match="unknown theme"):
        themes.quotes(texts, tags, "weather")


# ---------------------------------------------------------------- discovery
def _corpus(n: int = 60, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    a = ["پیتزا سرد و بی مزه بود", "پیتزا داغ و خوشمزه بود", "پنیر پیتزا کم بود"]
    b = ["کد تخفیف اعمال نشد", "کد تخفیف کار نکرد و پشتیبانی جواب نداد", "کد تخفیف منقضی شده بود"]
    c = ["کارتن شیر نشتی داشت", "شیر و ماست تاریخ گذشته بود", "ماست ترش شده بود"]
    return [rng.choice(g) for g in (a, b, c) for _ in range(n // 3)]


def test_discover_topics():
    out = themes.discover(_corpus(), n_topics=3, n_terms=5)
    assert list(out.columns) == ["topic", "terms", "n_docs", "share", "known_theme", "overlap"]
    assert len(out) == 3 and out["n_docs"].sum() == 60
    # one topic is about discount codes, one about pizza, one about dairy
    joined = out["terms"].tolist()
    assert any("تخفیف" in t for t in joined) and any("پیتزا" in t for t in joined)
    assert any("ماست" in t or "شیر" in t for t in joined)


def test_uncovered_phrases_skip_theme_keywords():
    out = themes.uncovered_phrases(_corpus(), k=10)
    phrases = set(out["phrase"])
    assert "تخفیف" not in phrases and "سرد" not in phrases     # covered by app_payment / food_temperature
    assert "ماست" in phrases or "شیر" in phrases               # dairy words are not in any theme
    assert out["n_docs"].is_monotonic_decreasing


def test_emerging_finds_the_new_term():
    rng = np.random.default_rng(3)
    base = ["غذا خوب بود", "ارسال سریع بود", "قیمت مناسب بود", "پیک مودب بود"]
    texts, dates = [], []
    for m in range(1, 5):  # Jan..Apr; "نشتی" appears only in April, in 30 of 100 texts
        for i in range(100):
            t = rng.choice(base)
            if m == 4 and i < 30:
                t += " و ظرف نشتی داشت"
            texts.append(t)
            dates.append(pd.Timestamp(2024, m, 1 + i % 28))
    out = themes.emerging(texts, dates, period="month", min_count=5)
    top = out.iloc[0]
    assert top["term"] in {"نشتی", "ظرف"} and top["period"] == "2024-04"
    assert top["n_last"] == 30 and top["n_before"] == 0 and top["significant"]
    assert top["ci_low"] > 1
    fading = themes.emerging(texts, dates, direction="fading")
    assert (fading["share_last"] < fading["share_before"]).all()


# ---------------------------------------------------------------- scorecard
def test_scorecard_text_and_operational_signals():
    # text: 4 reliability mentions in two months (Jan: 1 of 2 negative, Feb: 2 of 2 negative)
    tags = pd.DataFrame({"doc": [0, 1, 2, 3], "theme": "delivery_time", "attribute": "reliability",
                         "sentence": "x", "keyword": "دیر", "sentiment": ["negative", "positive", "negative", "negative"],
                         "score": [-0.8, 0.7, -0.6, -0.9]})
    dates = pd.Series(pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-03", "2024-02-10"]))
    # orders: 4 orders with promise dates, 1 late (o2); order lines repeat o1
    orders = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4"], "customer_id": "c",
        "order_date": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02", "2024-02-01", "2024-02-02"]),
        "promised_date": pd.to_datetime(["2024-01-03"] * 2 + ["2024-01-04", "2024-02-03", "2024-02-04"]),
        "delivered_date": pd.to_datetime(["2024-01-03"] * 2 + ["2024-01-06", "2024-02-02", "2024-02-04"])})
    returns = pd.DataFrame({"return_id": ["r1", "r2"], "order_id": ["o3", "o4"],
                            "reason_code": ["quality", "not_as_described"]})
    complaints = pd.DataFrame({"ticket_id": ["t1", "t2", "t3"], "opened_at": pd.to_datetime(["2024-01-02"] * 3),
                               "contacts": [1.0, 3.0, np.nan]})
    sc = themes.scorecard(tags, orders=orders, returns=returns, complaints=complaints, dates=dates)
    assert list(dict.fromkeys(sc["attribute"])) == list(themes.ATTRIBUTES)
    r = sc.set_index(["attribute", "source"])
    assert r.loc[("reliability", "text"), "n"] == 4 and r.loc[("reliability", "text"), "negative"] == 3
    assert r.loc[("reliability", "text"), "share_latest"] == 1.0
    assert r.loc[("reliability", "text"), "share_previous"] == 0.5
    assert r.loc[("reliability", "text"), "latest"] == "2024-02"
    assert 0 < r.loc[("reliability", "text"), "p_value"] < 1
    late = r.loc[("reliability", "late delivery")]
    assert late["n"] == 4 and late["negative"] == 1 and late["negative_share"] == 0.25
    assert late["ci_low"] < 0.25 < late["ci_high"]
    assert r.loc[("value", "returns"), "negative"] == 1          # o3 returned for quality
    assert r.loc[("trust", "returns: not as described"), "negative"] == 1
    rel = r.loc[("relevance", "repeat contacts")]
    assert rel["n"] == 2 and rel["negative"] == 1               # NaN contacts are not counted
    trend = sc.attrs["trend"]
    assert {"attribute", "source", "period", "n", "negative_share"} <= set(trend.columns)


def test_scorecard_without_signals_lists_all_attributes():
    sc = themes.scorecard(None)
    assert sc["attribute"].tolist() == list(themes.ATTRIBUTES) and (sc["n"] == 0).all()


@pytest.mark.shared
def test_tag_on_public_comments(shared_data):
    d = pd.read_csv(shared_data / "snappfood" / "dev.csv", sep="\t", index_col=0).head(1500)
    tags = themes.tag(d["comment"])
    share = tags["doc"].nunique() / len(d)
    assert share > 0.6  # most food-delivery comments mention at least one known theme
    neg = tags.groupby("theme")["sentiment"].apply(lambda s: (s == "negative").mean())
    assert neg["food_temperature"] > 0.5 and neg["wrong_missing"] > 0.6


# ---------------------------------------------------------------- plots (Agg)
def _texts_of(ax):
    return [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels() + ax.texts]


def test_plots_draw_and_keep_persian_strings():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from insight import plots_text as pt
    from insight import sentiment as se

    texts = pd.Series(["غذا خوشمزه بود ولی دیر رسید", "پیک بی ادب بود", "قیمت مناسب بود", "غذا سرد بود",
                       "سلام", "عالی بود ممنون"])
    ax = pt.sentiment_bars(se.predict(texts))
    ax.figure.canvas.draw()
    assert "مثبت" in _texts_of(ax) and "منفی" in _texts_of(ax)  # original strings, not reshaped
    tags = themes.tag(texts)
    ax = pt.theme_sentiment(tags)
    ax.figure.canvas.draw()
    assert "زمان ارسال" in _texts_of(ax)
    ax = pt.theme_sentiment(tags, share=True, lang="en")
    ax.figure.canvas.draw()
    assert "delivery time" in _texts_of(ax)
    dates = pd.Series(pd.date_range("2024-01-01", periods=len(texts), freq="10D"))
    sc = themes.scorecard(tags, dates=dates)
    ax = pt.attribute_scorecard(sc)
    ax.figure.canvas.draw()
    labels = " ".join(_texts_of(ax))
    assert "قابلیت اطمینان · نظرات مشتریان" in labels
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"اعتماد", "قابلیت اطمینان", "ارزش"} <= legend
    plt.close("all")


def test_scorecard_without_any_signal_keeps_every_column():
    # an orders-only export with no delivery dates: four empty attribute rows, all columns there
    import pandas as pd
    from insight import themes
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "order_date": [pd.Timestamp("2024-01-01")],
                           "product_id": ["p"], "quantity": [1.0], "unit_price": [10.0]})
    sc = themes.scorecard(None, orders=orders)
    assert list(sc["attribute"]) == ["trust", "reliability", "value", "relevance"]
    assert {"share_latest", "share_previous", "change", "p_value", "significant"} <= set(sc.columns)
    assert (sc["n"] == 0).all()


def test_tag_in_batches_equals_one_batch(monkeypatch):
    # batching (for memory) must not change the rows or their order; index labels
    # deliberately not in text order
    texts = pd.Series(["ارسال خیلی دیر بود و غذا سرد رسید", "قیمت گران بود", "بسته بندی عالی بود",
                       "پیک بد رفتار بود", "ارسال خیلی دیر بود و غذا سرد رسید", None, "سلام"] * 3,
                      index=[20, 3, 7, 1, 15, 9, 11, 0, 5, 2, 18, 4, 13, 6, 8, 10, 12, 14, 16, 17, 19])
    one = themes.tag(texts)
    monkeypatch.setattr(themes, "_CHUNK", 4)
    pd.testing.assert_frame_equal(themes.tag(texts), one, check_exact=True)
    assert len(one) > 0
    none = pd.Series(["سلام", "خوب", None, "باشه", "سلام"])    # no theme in any batch
    assert themes.tag(none).empty

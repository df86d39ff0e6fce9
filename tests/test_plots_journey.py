"""insight.plots_journey: Persian display labels for model terms and claim ids."""
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from plotting import render  # noqa: E402

from insight import plots_journey as pj  # noqa: E402
from insight.summary import CLAIM_NAMES  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


_render = render  # tests/plotting.py


def _model():
    tab = pd.DataFrame({"term": ["const", "late", "order_2", "mystery"], "odds_ratio": [1.0, 0.7, 1.5, 1.1],
                        "ci_low": [0.9, 0.6, 1.2, 0.8], "ci_high": [1.1, 0.8, 1.9, 1.4]})
    return SimpleNamespace(table=tab, days=90)


def _ticks(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def test_odds_ratios_persian_term_labels():
    ax = pj.odds_ratios(_model(), lang="fa")
    ticks = _ticks(ax)
    assert ticks == ["mystery", "سفارش دوم", "تحویل با تأخیر"]     # reversed order, unknown term kept
    assert "late" not in ticks and "order_2" not in ticks
    assert pj.TERMS_FA["late"] == "تحویل با تأخیر"                 # plain string, not reshaped
    _render(ax)
    assert _ticks(pj.odds_ratios(_model(), lang="en")) == ["mystery", "2nd order", "late delivery"]
    ax = pj.odds_ratios(_model(), labels={"late": "دیر", "mystery": "؟"})
    assert _ticks(ax) == ["؟", "order_2", "دیر"]


def test_claims_table_persian_claim_names():
    ids = ["resolved_complainers_buy_again", "silent_unhappy_per_complaint", "unknown_claim"]
    claims = pd.DataFrame({"name": ids, "verdict": ["supported", "contradicted", "cannot_test"],
                           "estimate": [0.7, 3.0, np.nan], "ci_low": [0.6, 2.0, np.nan], "ci_high": [0.8, 4.0, np.nan]})
    ax = pj.claims_table(claims, lang="fa")
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith(CLAIM_NAMES["resolved_complainers_buy_again"][0] + ": تأیید")
    assert texts[1].startswith(CLAIM_NAMES["silent_unhappy_per_complaint"][0] + ": رد")
    assert texts[2] == "unknown_claim: قابل آزمون نیست"
    assert not any(t.startswith(("resolved_", "silent_")) for t in texts)
    _render(ax)
    en = [t.get_text() for t in pj.claims_table(claims, lang="en").texts]
    assert en[0].startswith(CLAIM_NAMES["resolved_complainers_buy_again"][1] + ": supported")
    own = [t.get_text() for t in pj.claims_table(claims, labels={"unknown_claim": "باور دیگر"}).texts]
    assert own[2] == "باور دیگر: قابل آزمون نیست" and own[0].startswith("resolved_complainers_buy_again: ")

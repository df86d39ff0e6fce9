"""insight.sentiment prior adaptation (predict(adapt_prior=True), estimate_prior).

Known-answer cases: posteriors computed exactly from class-conditional Gaussians under a
known training prior, applied to a mixture with a different, known prior; EM must
recover that prior.  The texts are written for these tests."""
from __future__ import annotations

import numpy as np
import pytest

from insight import sentiment as se


def _mixture(prior, train_prior, mus, n, seed=0):
    """Rows drawn from the mixture ``prior`` of N(mu_c, 1); posteriors as a calibrated
    classifier trained under ``train_prior`` would give them."""
    rng = np.random.default_rng(seed)
    y = rng.choice(len(prior), size=n, p=prior)
    x = rng.normal(np.asarray(mus)[y], 1.0)
    lik = np.exp(-0.5 * (x[:, None] - np.asarray(mus)[None, :]) ** 2)
    post = lik * np.asarray(train_prior)
    return post / post.sum(axis=1, keepdims=True), y


def test_estimate_prior_two_classes_known_answer():
    post, y = _mixture([0.2, 0.8], [0.5, 0.5], [-1.0, 1.0], 20_000)
    pi, q = se.estimate_prior(post, [0.5, 0.5])
    assert abs(pi[1] - 0.8) < 0.015, pi          # the batch's true share of class 1 is 0.8
    assert abs(pi[1] - y.mean()) < 0.015
    assert np.allclose(q.sum(axis=1), 1)
    # re-weighted posteriors are the Bayes posteriors under the mixture's prior
    exact, _ = _mixture([0.2, 0.8], [0.2, 0.8], [-1.0, 1.0], 20_000)
    assert np.abs(q - exact).max() < 0.03
    # the plain posteriors (prior 0.5) call fewer texts class 1 than the adapted ones
    assert (q[:, 1] >= 0.5).mean() > (post[:, 1] >= 0.5).mean()


def test_estimate_prior_three_classes_unbalanced_training_prior():
    true = np.array([0.6, 0.1, 0.3])
    post, _ = _mixture(true, [0.2, 0.3, 0.5], [-2.0, 0.0, 2.0], 30_000, seed=1)
    pi, _ = se.estimate_prior(post, [0.2, 0.3, 0.5])
    np.testing.assert_allclose(pi, true, atol=0.02)
    # the same batch with no shift stays put
    post, _ = _mixture([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [-2.0, 0.0, 2.0], 30_000, seed=2)
    pi, _ = se.estimate_prior(post, [0.2, 0.3, 0.5])
    np.testing.assert_allclose(pi, [0.2, 0.3, 0.5], atol=0.02)


def test_estimate_prior_weights_equal_repeats():
    post, _ = _mixture([0.3, 0.7], [0.5, 0.5], [-1.0, 1.0], 500, seed=3)
    w = np.arange(500) % 3 + 1
    pi_w, _ = se.estimate_prior(post, [0.5, 0.5], weights=w)
    pi_r, _ = se.estimate_prior(np.repeat(post, w, axis=0), [0.5, 0.5])
    np.testing.assert_allclose(pi_w, pi_r, atol=1e-6)
    with pytest.raises(ValueError):
        se.estimate_prior(np.zeros((0, 2)), [0.5, 0.5])


def _toy_model():
    good = ["خوشمزه", "عالی", "تازه", "داغ"]
    bad = ["سرد", "بی‌کیفیت", "دیر", "شور"]
    rng = np.random.default_rng(5)
    texts, labels = [], []
    for i in range(200):
        lab = i % 2
        texts.append(f"غذا {rng.choice(good if lab else bad)} بود")
        labels.append("positive" if lab else "negative")
    return se.train(texts, labels, bits=14), good, bad


def test_predict_adapt_prior_on_a_batch():
    model, good, bad = _toy_model()
    assert model.meta["train_prior"] == {"negative": 0.5, "positive": 0.5}   # balanced fit
    np.testing.assert_allclose(se.train_prior(model), [0.5, 0.5])
    # a batch of 90 praise and 10 complaints (with repeats, scored once each)
    batch = [f"غذا {good[i % 4]} بود" for i in range(90)] + [f"غذا {bad[i % 4]} بود" for i in range(10)]
    plain = se.predict(batch, model)
    ad = se.predict(batch, model, adapt_prior=True)
    assert "prior" not in plain.attrs
    assert abs(ad.attrs["prior"]["positive"] - 0.9) < 0.05
    assert ad.attrs["train_prior"] == {"negative": 0.5, "positive": 0.5}
    assert ad["label"].tolist() == plain["label"].tolist()            # clear-cut texts keep their label
    assert (ad["score"] > plain["score"] - 1e-12).all()               # shift towards positive
    np.testing.assert_allclose(ad["p_positive"] + ad["p_negative"], 1)
    assert ad["score"].between(-1, 1).all()


def test_predict_adapt_prior_errors_and_missing():
    model, good, _ = _toy_model()
    with pytest.raises(ValueError, match="adapt_prior"):
        se.predict(["غذا عالی بود"], "lexicon", adapt_prior=True)
    with pytest.raises(ValueError, match="two-class"):   # the three-class default over-corrects
        se.predict(["غذا عالی بود"], adapt_prior=True)
    out = se.predict([f"غذا {good[0]} بود", None, ""], model, adapt_prior=True)
    assert out["label"].isna().tolist() == [False, True, True]
    assert se.predict([], model, adapt_prior=True).empty

"""Train and evaluate insight's default sentiment model — reproducibly, from public data only.

    .venv/bin/python scripts/train_sentiment.py            # evaluate + write insight/models/
    .venv/bin/python scripts/train_sentiment.py --no-save  # evaluation table only

Provenance: the ONLY labelled data used are the two public sets in ../shared/data
(see its README):

* ``snappfood/dev.csv`` — 6,300 SnappFood comments, HAPPY / SAD (balanced);
* ``sentipers/sentipers.xlsx`` — 15,683 SentiPers (Digikala review) sentences,
  polarity -2..+2 (> 0 positive, 0 neutral, < 0 negative).

plus the project's own lexicon (insight/lexicon/).  No other corpus is used.

Held-out splits (fixed seed ``SEED``):

* SnappFood: stratified 80/20 split of dev.csv;
* SentiPers: 80/20 split *by review document* (column ``file``), so sentences of
  one review never sit on both sides.

Rows of the evaluation table (docs/evaluation.md):

1. in-domain: train on SnappFood-train, test on SnappFood-test;
2. cross-domain: same model (SnappFood only, no product reviews), test on
   SentiPers-test polar sentences (polarity > 0 vs < 0), sign of the score;
3. the shipped default: trained on SnappFood-train + SentiPers-train (three
   classes), tested on both held-out parts (never seen in training);
4. the lexicon rules alone on the same held-out parts;
5. rows 1-2 again with ``predict(adapt_prior=True)``: the class prior of each test batch
   estimated by EM from its unlabelled texts (all 3,136 SentiPers test sentences, the
   neutral ones included, since picking the polar ones would use labels) — transductive,
   reported next to the plain rows;
6. SnappFood comments + the SentiPers test texts pseudo-labelled by the lexicon (no
   SentiPers label) -> SentiPers test: transductive adaptation, see lexicon_self_train.

The shipped model is the one in row 3: it is trained on the train parts only,
so its held-out numbers are honest.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insight import sentiment as se  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SEED = 20240601
CHARS = (2, 5)  # char n-gram lengths (1-5, 1-4, 2-6 scored the same on SnappFood; 2-5 is cheaper)


def load_snappfood(shared: Path = SHARED) -> pd.DataFrame:
    d = pd.read_csv(shared / "snappfood" / "dev.csv", sep="\t", index_col=0)
    return pd.DataFrame({"text": d["comment"].astype("str"), "label": se.map_labels(d["label"])})


def load_sentipers(shared: Path = SHARED) -> pd.DataFrame:
    d = pd.read_excel(shared / "sentipers" / "sentipers.xlsx")
    return pd.DataFrame({"text": d["text"].astype("str"), "label": se.map_labels(d["polarity"], "sign"),
                         "polarity": d["polarity"].astype("int64"), "group": d["file"].astype("str")})


def splits(shared: Path = SHARED, seed: int = SEED):
    """(snap_train, snap_test, senti_train, senti_test) with fixed seeds."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    sf = load_snappfood(shared)
    s_tr, s_te = train_test_split(sf, test_size=0.2, random_state=seed, stratify=sf["label"])
    sp = load_sentipers(shared)
    gss = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    tr, te = next(gss.split(sp, groups=sp["group"]))
    return s_tr, s_te, sp.iloc[tr], sp.iloc[te]


def polar(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["label"] != "neutral"]


def train_default(s_tr: pd.DataFrame, p_tr: pd.DataFrame, *, C: float = 3.0, bits: int = 18,
                  chars: tuple[int, int] = CHARS, snap_weight: float = 1.0) -> se.SentimentModel:
    texts = pd.concat([s_tr["text"], p_tr["text"]], ignore_index=True)
    labels = pd.concat([s_tr["label"], p_tr["label"]], ignore_index=True)
    w = np.r_[np.full(len(s_tr), snap_weight), np.ones(len(p_tr))]
    return se.train(texts, labels, C=C, bits=bits, chars=chars, sample_weight=w, solver="lbfgs", meta={
        "description": "insight default: SnappFood comments + SentiPers sentences (train splits), "
                       "hashed char/word n-grams + project lexicon",
        "data": ["snappfood/dev.csv (80% stratified split)", "sentipers/sentipers.xlsx (80% by review)"],
        "seed": SEED, "quantize": True})


def lexicon_self_train(s_tr: pd.DataFrame, target_texts: pd.Series, *, C: float = 3.0, bits: int = 18,
                       threshold: float = 0.1) -> se.SentimentModel:
    """Transductive domain adaptation without target labels: the SnappFood comments plus
    the *unlabelled* target texts whose lexicon score is at least ``threshold`` in size,
    labelled by its sign (the project's lexicon, no SentiPers label), in one fit.  The
    model then learns the target domain's n-grams that co-occur with lexicon words.
    One configuration, fixed in advance (threshold = the lexicon's own neutral band,
    weight 1, C as the other rows); nothing tuned on the test split."""
    lex = se.lexicon_score(target_texts.tolist())["score"].to_numpy()
    sel = np.abs(lex) >= threshold
    texts = pd.concat([s_tr["text"], target_texts[sel]], ignore_index=True)
    labels = pd.concat([s_tr["label"], pd.Series(np.where(lex[sel] > 0, "positive", "negative"))],
                       ignore_index=True)
    return se.train(texts, labels, C=C, bits=bits, chars=CHARS)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--C", type=float, default=3.0)
    ap.add_argument("--bits", type=int, default=18)
    ap.add_argument("--snap-weight", type=float, default=1.0, help="sample weight of SnappFood rows")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--cv", action="store_true", help="also 5-fold CV on all of SnappFood (with/without NB)")
    args = ap.parse_args(argv)
    t0 = time.time()
    s_tr, s_te, p_tr, p_te = splits(args.shared)
    rows = []

    def row(name, model, df, **kw):
        r = se.evaluate(model, df["text"], df["label"], **kw)
        d = {"setting": name, **r.as_dict()}
        rows.append(d)
        print(f"{name:60s} n={r.n:5d} macroF1={r.macro_f1:.3f} [{r.macro_f1_ci[0]:.3f}, "
              f"{r.macro_f1_ci[1]:.3f}] acc={r.accuracy:.3f}", flush=True)
        return r

    snap = se.train(s_tr["text"], s_tr["label"], C=args.C, bits=args.bits, chars=CHARS)
    row("SnappFood-only model -> SnappFood test (in-domain)", snap, s_te)
    row("SnappFood-only model -> SentiPers test, pos vs neg (cross-domain)", snap, polar(p_te))
    # transductive: the class prior of the target batch estimated by EM on ALL 3,136 test
    # sentences (no labels; choosing the polar ones would use labels), scored on the polar ones
    adapted = se.predict(p_te["text"], snap, adapt_prior=True)
    pol = (p_te["label"] != "neutral").to_numpy()
    r = se.classification_summary(p_te["label"][pol], np.where(adapted["score"][pol] >= 0, "positive", "negative"),
                                  labels=["positive", "negative"], mode="binary")
    name = "SnappFood-only model -> SentiPers test, pos vs neg, prior adapted on the unlabelled test texts"
    rows.append({"setting": name, **r.as_dict()})
    print(f"{name:60s} n={r.n:5d} macroF1={r.macro_f1:.3f} [{r.macro_f1_ci[0]:.3f}, {r.macro_f1_ci[1]:.3f}] "
          f"acc={r.accuracy:.3f} (EM prior: {adapted.attrs['prior']})", flush=True)
    pin = se.predict(s_te["text"], snap, adapt_prior=True)
    r = se.classification_summary(s_te["label"], np.where(pin["score"] >= 0, "positive", "negative"),
                                  labels=["positive", "negative"], mode="binary")
    name = "SnappFood-only model -> SnappFood test, prior adapted on the unlabelled test texts"
    rows.append({"setting": name, **r.as_dict()})
    print(f"{name:60s} n={r.n:5d} macroF1={r.macro_f1:.3f} acc={r.accuracy:.3f} (EM prior: {pin.attrs['prior']})",
          flush=True)
    st = lexicon_self_train(s_tr, p_te["text"], C=args.C, bits=args.bits)
    row("SnappFood + lexicon pseudo-labels of the unlabelled SentiPers test texts -> SentiPers test, "
        "pos vs neg (transductive)", st, polar(p_te))
    default = train_default(s_tr, p_tr, C=args.C, bits=args.bits, snap_weight=args.snap_weight)
    if not args.no_save:
        path = default.save(se.DEFAULT_MODEL)
        default = se.load_model(path)  # evaluate exactly what ships (quantized)
        print(f"saved {path} ({path.stat().st_size / 1e6:.2f} MB)")
    row("default -> SnappFood test", default, s_te)
    row("default -> SentiPers test (pos vs neg)", default, polar(p_te))
    row("default -> SentiPers test (3 classes)", default, p_te)
    row("lexicon rules -> SnappFood test", "lexicon", s_te)
    row("lexicon rules -> SentiPers test (pos vs neg)", "lexicon", polar(p_te))
    if args.cv:
        sf = load_snappfood(args.shared)
        for nb in (False, True):
            cv = se.cross_validate(sf["text"], sf["label"], k=5, seed=SEED, C=args.C, bits=args.bits,
                                   chars=CHARS, nb=nb)
            r = cv.pooled
            name = f"SnappFood 5-fold CV, all {len(sf):,} ({'NB-LR' if nb else 'LR'})"
            rows.append({"setting": name, **r.as_dict()})
            print(f"{name:60s} macroF1={r.macro_f1:.3f} folds={cv.folds['macro_f1'].round(3).tolist()}",
                  flush=True)
    out = pd.DataFrame(rows)
    print(out.round(3).to_string(index=False))
    if args.markdown:
        print("| setting | n | macro-F1 [95% CI] | accuracy [95% CI] |\n|---|---:|---|---|")
        for r in rows:
            print(f"| {r['setting']} | {r['n']:,} | {r['macro_f1']:.3f} [{r['macro_f1_ci_low']:.3f}, "
                  f"{r['macro_f1_ci_high']:.3f}] | {r['accuracy']:.3f} [{r['accuracy_ci_low']:.3f}, "
                  f"{r['accuracy_ci_high']:.3f}] |")
    print(json.dumps({"seconds": round(time.time() - t0, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

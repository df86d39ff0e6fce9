"""Themes in customer text, their aspect-level sentiment, and the four-attribute scorecard.

    from insight import themes
    tags = themes.tag(reviews["text"])           # one row per (doc, theme)
    themes.scorecard(tags, orders=ds.orders, complaints=ds.complaints, returns=ds.returns)
    themes.quotes(reviews["text"], tags, "delivery_time")

Themes and keywords are the project's own (``insight/lexicon/themes_fa.yml``);
each rolls up into one of the four attributes of a frictionless experience:
trust, reliability, value, relevance (see DESIGN.md).

Matching: texts are normalized (:func:`insight.text.normalize`), split into
sentences (``. ! ? ؟ ؛`` and line breaks, and before contrast words ولی / اما /
but, so "food great but courier late" gives two clauses) and folded
(:func:`insight.sentiment.fold`); every theme is one compiled regex
alternation of its keywords, anchored at the start of a word.  The sentiment of
a theme in a text is the sentiment of the sentence carrying it (the most
strongly worded one when several sentences carry it).

Data-driven helpers: :func:`discover` (NMF topics over TF-IDF), :func:`uncovered_phrases`
(frequent n-grams no theme covers) and :func:`emerging` (terms rising in the last
period, Poisson rate-ratio test).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from insight import sentiment as se

__all__ = ["tag", "themes_table", "split_sentences", "discover", "uncovered_phrases", "emerging",
           "scorecard", "quotes", "ATTRIBUTES"]

ATTRIBUTES = ("trust", "reliability", "value", "relevance")
THEMES_FILE = Path(__file__).with_name("lexicon") / "themes_fa.yml"
_SPLIT = re.compile(r"[.!?؟؛\n\r]+|\s+(?=(?:ولی|اما|ولیکن|but)\s)")


@lru_cache(maxsize=1)
def _load() -> tuple[pd.DataFrame, dict[str, re.Pattern]]:
    import yaml

    raw = yaml.safe_load(THEMES_FILE.read_text(encoding="utf-8"))
    rows, patterns = [], {}
    for code, spec in raw.items():
        if spec["attribute"] not in ATTRIBUTES:
            raise ValueError(f"theme {code}: attribute {spec['attribute']!r} not in {ATTRIBUTES}")
        kws = [str(k) for k in spec["keywords"]]
        ends = [k.endswith("$") for k in kws]
        folded = se.fold([k.rstrip("$") for k in kws])
        alts = sorted({re.escape(f) + (r"(?!\w)" if e else "") for f, e in zip(folded, ends) if f},
                      key=len, reverse=True)
        patterns[code] = re.compile(r"(?<!\w)(" + "|".join(alts) + ")")
        rows.append({"theme": code, "attribute": spec["attribute"], "label_fa": spec.get("fa", code),
                     "label_en": spec.get("en", code), "n_keywords": len(kws), "keywords": kws})
    return pd.DataFrame(rows), patterns


def themes_table() -> pd.DataFrame:
    """The theme list: theme, attribute, label_fa, label_en, n_keywords, keywords."""
    return _load()[0].copy()


def _texts(texts) -> pd.Series:
    if isinstance(texts, str):
        raise TypeError("pass a list/Series of texts, not a single string")
    return texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)


def _normalized(texts: pd.Series) -> pd.Series:
    ok = texts.notna()
    vals = texts[ok].astype("str")
    codes, uniq = pd.factorize(vals)
    norm = np.asarray(se._normalize([str(u) for u in uniq]), dtype=object)
    return pd.Series(norm[codes] if len(codes) else [], index=vals.index, dtype=object)


def split_sentences(texts) -> pd.DataFrame:
    """One row per sentence: ``doc`` (input index label), ``pos`` (0, 1, … within the
    text), ``sentence`` (normalized text of the sentence)."""
    s = _texts(texts)
    norm = _normalized(s)
    parts = norm.str.split(_SPLIT).explode()
    parts = parts.astype("str").str.strip()
    parts = parts[parts.str.len() > 0]
    out = pd.DataFrame({"doc": parts.index, "sentence": parts.to_numpy()})
    out["pos"] = out.groupby("doc", sort=False).cumcount()
    return out[["doc", "pos", "sentence"]].reset_index(drop=True)


def _match(sentences: pd.DataFrame) -> pd.DataFrame:
    """(row in sentences, theme, keyword) for every theme found in a sentence."""
    table, patterns = _load()
    folded = pd.Series(se.fold(sentences["sentence"].tolist()), dtype=object)
    hits = []
    for code, pat in patterns.items():
        kw = folded.str.extract(pat, expand=False)
        m = kw.notna().to_numpy()
        if m.any():
            hits.append(pd.DataFrame({"row": np.flatnonzero(m), "theme": code,
                                      "keyword": kw[m].astype("str").to_numpy()}))
    if not hits:
        return pd.DataFrame({"row": pd.Series([], dtype="int64"), "theme": pd.Series([], dtype="str"),
                             "keyword": pd.Series([], dtype="str")})
    return pd.concat(hits, ignore_index=True)


def tag(texts, *, model=None) -> pd.DataFrame:
    """Themes found in each text with aspect-level sentiment.

    One row per (doc, theme): ``doc`` (index label of the text), ``theme``,
    ``attribute`` (trust/reliability/value/relevance), ``sentence`` (the sentence
    carrying the theme, normalized, unmasked — mask before showing it), ``keyword``
    (the keyword that matched), ``sentiment`` (positive/neutral/negative of that
    sentence) and ``score`` in [-1, 1].  ``model``: passed to
    :func:`insight.sentiment.predict`.  Texts with no theme have no row."""
    table, _ = _load()
    sents = split_sentences(texts)
    hits = _match(sents)
    cols = ["doc", "theme", "attribute", "sentence", "keyword", "sentiment", "score"]
    if hits.empty:
        return pd.DataFrame({c: pd.Series([], dtype="float64" if c == "score" else object) for c in cols})
    rows = sents.iloc[hits["row"].to_numpy()].reset_index(drop=True)
    uniq = rows["sentence"].drop_duplicates()
    pred = se.predict(uniq.reset_index(drop=True), model)
    pred.index = uniq.to_numpy()
    out = pd.DataFrame({"doc": rows["doc"].to_numpy(), "pos": rows["pos"].to_numpy(),
                        "theme": hits["theme"].to_numpy(), "sentence": rows["sentence"].to_numpy(),
                        "keyword": hits["keyword"].to_numpy()})
    out["sentiment"] = pred["label"].reindex(out["sentence"]).to_numpy()
    out["score"] = pred["score"].reindex(out["sentence"]).to_numpy()
    # several sentences of one text carry the theme: keep the most strongly worded one
    out["_abs"] = out["score"].abs()
    out = (out.sort_values(["doc", "theme", "_abs", "pos"], ascending=[True, True, False, True], kind="stable")
              .drop_duplicates(["doc", "theme"]))
    out["attribute"] = out["theme"].map(table.set_index("theme")["attribute"])
    out = out[cols].reset_index(drop=True)
    out["sentiment"] = out["sentiment"].astype("str")
    return out

"""Themes in customer text, their aspect-level sentiment, and the four-attribute scorecard.

    from insight import themes
    tags = themes.tag(reviews["text"])           # one row per (doc, theme)
    themes.scorecard(tags, orders=ds.orders, complaints=ds.complaints, returns=ds.returns)
    themes.quotes(reviews["text"], tags, "delivery_time")

Themes and keywords are the project's own (``insight/lexicon/themes_fa.yml``);
each rolls up into one of the four attributes of a frictionless experience:
trust, reliability, value, relevance (see DESIGN.md).

Matching: texts are split into sentences (``. ! ? ؟ ؛`` and line breaks, and before contrast words ولی / اما /
but, so "food great but courier late" gives two clauses) and folded
(:func:`insight.sentiment.fold`: Arabic letter forms, digits, ZWNJ, diacritics); every theme is one compiled regex
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
        # longest pattern first; ties (e.g. "بسته بندی" and "بسته$") by the longer literal, then
        # alphabetically — a set's order changes with the process's hash seed
        alts = sorted({re.escape(f) + (r"(?!\w)" if e else "") for f, e in zip(folded, ends) if f},
                      key=lambda a: (-len(a), a.endswith(r"(?!\w)"), a))
        patterns[code] = re.compile(r"(?<!\w)(?:" + "|".join(alts) + ")")
        rows.append({"theme": code, "attribute": spec["attribute"], "label_fa": spec.get("fa", code),
                     "label_en": spec.get("en", code), "n_keywords": len(kws), "keywords": kws})
    return pd.DataFrame(rows), patterns


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern, dict[str, tuple[tuple[int, re.Pattern], ...]]]:
    """For :func:`_match_distinct`: one regex finding every position where *some* theme
    keyword starts (the union of all themes' alternatives, grouped by first character so
    the scan rejects most word starts at once), and the themes whose keywords start with
    given first two characters (first one for one-letter keywords)."""
    import yaml

    _, patterns = _load()
    raw = yaml.safe_load(THEMES_FILE.read_text(encoding="utf-8"))
    groups: dict[str, set[str]] = {}
    by_key: dict[str, list[int]] = {}
    for j, (code, spec) in enumerate(raw.items()):
        kws = [str(k) for k in spec["keywords"]]
        folded = se.fold([k.rstrip("$") for k in kws])
        for f, k in zip(folded, kws):
            if not f:
                continue
            groups.setdefault(f[0], set()).add(re.escape(f[1:]) + (r"(?!\w)" if k.endswith("$") else ""))
            by_key.setdefault(f[:2], [])
            if j not in by_key[f[:2]]:
                by_key[f[:2]].append(j)
    union = "|".join(re.escape(c) + "(?:" + "|".join(sorted(rest, key=len, reverse=True)) + ")"
                     for c, rest in groups.items())
    pats = list(patterns.values())
    return (re.compile(r"(?<!\w)(?=" + union + ")"),
            {k: tuple((j, pats[j]) for j in sorted(js)) for k, js in by_key.items()})


def themes_table() -> pd.DataFrame:
    """The theme list: theme, attribute, label_fa, label_en, n_keywords, keywords."""
    return _load()[0].copy()


def _texts(texts) -> pd.Series:
    if isinstance(texts, str):
        raise TypeError("pass a list/Series of texts, not a single string")
    return texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)


_CTRL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _normalized(texts: pd.Series) -> pd.Series:
    """Texts as shown in ``sentence``: the customer's own characters, control and
    bidi-override characters removed (matching runs on :func:`insight.sentiment.fold`)."""
    ok = texts.notna()
    return texts[ok].astype("str").str.replace(_CTRL, " ", regex=True)


def split_sentences(texts) -> pd.DataFrame:
    """One row per sentence: ``doc`` (input index label), ``pos`` (0, 1, … within the
    text), ``sentence`` (the sentence as written, control characters removed)."""
    s = _texts(texts)
    norm = _normalized(s)
    parts = norm.str.split(_SPLIT).explode()
    parts = parts.astype("str").str.strip()
    parts = parts[parts.str.len() > 0]
    out = pd.DataFrame({"doc": parts.index, "sentence": parts.to_numpy()})
    out["pos"] = out.groupby("doc", sort=False).cumcount()
    return out[["doc", "pos", "sentence"]].reset_index(drop=True)


def _split_distinct(texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Sentences of each (normalized) text, as in :func:`split_sentences`: per sentence row the
    text number and ``pos``, plus the distinct sentences and each row's number among them.

    One ``_SPLIT.split`` over the texts joined by ".\\0.": the dots are split points (so the NUL
    comes out as a part of its own, marking where the next text starts); they only touch a text's
    ends, where a split point gives no extra sentence, and they are not whitespace (a text
    ending in "... but" must not split there, as it does not on its own).  Texts holding a NUL
    are split one by one."""
    big = ".\0.".join(texts)
    if big.count("\0") != len(texts) - 1:
        per = [[p for p in (x.strip() for x in _SPLIT.split(t)) if p] for t in texts]
        parts = [p for ps in per for p in ps]
        n = np.fromiter(map(len, per), dtype=np.int64, count=len(per))
        text_of = np.repeat(np.arange(len(per), dtype=np.int64), n)
    else:
        raw = _SPLIT.split(big)
        stripped = [p.strip() for p in raw]
        sep = np.fromiter((p == "\0" for p in raw), dtype=bool, count=len(raw))
        keep = np.fromiter(map(len, stripped), dtype=np.int64, count=len(raw)) > 0
        keep &= ~sep
        text_of = np.cumsum(sep)[keep]
        parts = [p for p, k in zip(stripped, keep.tolist()) if k]
        n = np.bincount(text_of, minlength=len(texts))
    start = np.cumsum(n) - n
    pos = np.arange(len(text_of), dtype=np.int64) - np.repeat(start, n)
    if not parts:
        return text_of, pos, [], np.zeros(0, np.int64)
    codes, uniq = pd.factorize(np.asarray(parts, dtype=object))
    return text_of, pos, uniq.tolist(), codes.astype(np.int64)


def _fold(texts: list[str]) -> list[str]:
    """:func:`insight.sentiment.fold`, one text per input text.  The batched fold joins the
    texts by NUL and collapses any character repeated 3+ times, so two neighbouring texts that
    fold to "" (only tatweel / diacritics / joiners) merge their NULs and the batch comes back
    short; then fold them one by one."""
    out = se.fold(texts)
    if len(out) != len(texts):
        out = [se.fold([t])[0] for t in texts]
    return out


def _match_distinct(folded: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(sentence number, theme number, keyword) of the first (leftmost) match of every theme in
    each folded sentence: what ``pattern.search(sentence)`` gives for each theme's pattern.

    The sentences are joined by line breaks (fold leaves none inside a sentence; a line break is
    a non-word character like the string's start and end, so ``(?<!\\w)`` and ``(?!\\w)`` behave
    the same).  One scan finds the positions where any keyword starts; there only the themes
    with a keyword of those first letters are tried (``pattern.match`` at that position: the
    theme's own alternative order decides the keyword, as in ``search``)."""
    union, by_key = _matcher()
    if not folded:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    big = "\n".join(folded)
    lens = np.fromiter(map(len, folded), dtype=np.int64, count=len(folded)) + 1
    starts = np.cumsum(lens) - lens
    at = [m.start() for m in union.finditer(big)]
    of = np.searchsorted(starts, np.asarray(at, dtype=np.int64), side="right") - 1
    sent, theme, kw = [], [], []
    none = ()
    for p, i in zip(at, of.tolist()):
        cand = by_key.get(big[p:p + 2], none) + by_key.get(big[p], none)
        for j, pat in cand:
            m = pat.match(big, p)
            if m is not None:
                sent.append(i)
                theme.append(j)
                kw.append(m.group())
    if not sent:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    sent, theme = np.asarray(sent, dtype=np.int64), np.asarray(theme, dtype=np.int64)
    # positions come in order: the first hit of a (sentence, theme) is its leftmost match
    _, first = np.unique(sent * len(_load()[1]) + theme, return_index=True)
    return sent[first], theme[first], [kw[i] for i in first]


_CHUNK = 100_000   # texts per batch in tag: bounds the peak memory of the match arrays


def tag(texts, *, model=None) -> pd.DataFrame:
    """Themes found in each text with aspect-level sentiment.

    One row per (doc, theme): ``doc`` (index label of the text), ``theme``,
    ``attribute`` (trust/reliability/value/relevance), ``sentence`` (the sentence
    carrying the theme as written, unmasked — mask before showing it, see :func:`quotes`), ``keyword``
    (the keyword that matched), ``sentiment`` (positive/neutral/negative of that
    sentence) and ``score`` in [-1, 1].  ``model``: passed to
    :func:`insight.sentiment.predict`.  Texts with no theme have no row.

    Identical texts are split and matched once and identical sentences folded, matched and
    scored once (one :func:`insight.sentiment.predict` call over the distinct sentences that
    carry a theme).  More than 100,000 texts (with unique index labels) are tagged in
    batches of that size, which bounds the memory of the intermediate arrays; the
    result is the same as one batch (rows ordered by doc, then theme)."""
    s = _texts(texts)
    if len(s) > _CHUNK and s.index.is_unique:
        parts = [_tag(s.iloc[i:i + _CHUNK], model) for i in range(0, len(s), _CHUNK)]
        found = [p for p in parts if len(p)]   # (an empty batch's columns are untyped)
        if not found:
            return parts[0]
        out = pd.concat(found, ignore_index=True)
        # each batch is ordered by (doc, theme), pairs unique across batches: one stable
        # sort on those keys gives the single-batch order
        return out.sort_values(["doc", "theme"], kind="stable").reset_index(drop=True)
    return _tag(s, model)


def _tag(s: pd.Series, model) -> pd.DataFrame:
    """:func:`tag` on one batch."""
    table, patterns = _load()
    cols = ["doc", "theme", "attribute", "sentence", "keyword", "sentiment", "score"]
    empty = pd.DataFrame({c: pd.Series([], dtype="float64" if c == "score" else object) for c in cols})
    ok = s.notna().to_numpy()
    if not ok.any():
        return empty
    vals = s.to_numpy(dtype=object)[ok]
    if pd.api.types.infer_dtype(vals, skipna=False) != "string":
        vals = s[ok].astype("str").to_numpy(dtype=object)
    tcode, tuniq = pd.factorize(vals)                       # distinct texts
    utexts = tuniq.tolist()
    if _CTRL.search("\n".join(utexts)):
        utexts = [_CTRL.sub(" ", t) for t in utexts]
    text_of, pos, usent, scode = _split_distinct(utexts)
    h_sent, h_theme, h_kw = _match_distinct(_fold(usent))
    if not len(h_sent):
        return empty
    # sentiment of each distinct sentence carrying a theme, one batched call
    carry = np.unique(h_sent)
    pred = se.predict(pd.Series([usent[i] for i in carry], dtype=object), model)
    sc_of = np.full(len(usent), np.nan)
    sc_of[carry] = pred["score"].to_numpy(dtype="float64")
    lab_of = np.empty(len(usent), dtype=object)
    lab_of[carry] = pred["label"].to_numpy(dtype=object)
    # sentence rows x their hits (hits grouped by distinct sentence)
    order = np.argsort(h_sent, kind="stable")
    h_sent, h_theme = h_sent[order], h_theme[order]
    h_kw = np.asarray(h_kw, dtype=object)[order]
    cnt = np.bincount(h_sent, minlength=len(usent))
    first = np.cumsum(cnt) - cnt
    k = cnt[scode]
    row = np.repeat(np.arange(len(scode)), k)
    hit = np.repeat(first[scode], k) + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    r_text, r_pos, r_theme = text_of[row], pos[row], h_theme[hit]
    r_abs = np.abs(sc_of[h_sent[hit]])
    # per (text, theme): the most strongly worded sentence, the first on ties (NaN last)
    srt = np.lexsort((r_pos, np.where(np.isnan(r_abs), np.inf, -r_abs), r_theme, r_text))
    r_text, r_theme = r_text[srt], r_theme[srt]
    keep = np.r_[True, (r_text[1:] != r_text[:-1]) | (r_theme[1:] != r_theme[:-1])]
    best = srt[keep]
    b_text, b_theme, b_hit = text_of[row[best]], h_theme[hit[best]], hit[best]
    b_pos = pos[row[best]]
    # texts -> docs
    tcnt = np.bincount(b_text, minlength=len(utexts))
    tfirst = np.cumsum(tcnt) - tcnt
    doc_rows = np.flatnonzero(ok)
    dk = tcnt[tcode]
    d_row = np.repeat(doc_rows, dk)
    d_best = np.repeat(tfirst[tcode], dk) + (np.arange(dk.sum()) - np.repeat(np.cumsum(dk) - dk, dk))
    codes = list(patterns)
    theme_names = np.asarray(codes, dtype=object)
    sent_of_hit = h_sent[b_hit[d_best]]
    out = pd.DataFrame({"doc": s.index.to_numpy()[d_row], "pos": b_pos[d_best],
                        "theme": theme_names[b_theme[d_best]],
                        "sentence": np.asarray(usent, dtype=object)[sent_of_hit],
                        "keyword": h_kw[b_hit[d_best]]})
    out["sentiment"] = lab_of[sent_of_hit]
    out["score"] = sc_of[sent_of_hit]
    out["_abs"] = out["score"].abs()
    out = (out.sort_values(["doc", "theme", "_abs", "pos"], ascending=[True, True, False, True], kind="stable")
              .drop_duplicates(["doc", "theme"]))
    out["attribute"] = out["theme"].map(table.set_index("theme")["attribute"])
    out = out[cols].reset_index(drop=True)
    out["sentiment"] = out["sentiment"].astype("str")
    return out


# ------------------------------------------------------------------ data-driven discovery
def _folded_docs(texts) -> pd.Series:
    s = _texts(texts).dropna()
    norm = _normalized(s)
    return pd.Series(se.fold(norm.tolist()), index=norm.index, dtype=object)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset:
    import importlib.util

    # hazm's stop-word file, read directly: ``import hazm`` costs seconds (nltk etc.)
    spec = importlib.util.find_spec("hazm")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "stopwords.dat"
    words = se.fold(path.read_text(encoding="utf-8").split("\n"))
    extra = ["و", "به", "از", "که", "با", "را", "رو", "این", "اون", "هم", "یه", "یک", "تو", "برای", "بود",
             "بودن", "هست", "است", "شد", "شده", "کرد", "کردم", "کنید", "می", "ها", "های", "ای", "خیلی", "من",
             "ما", "شما", "دیگه", "ولی", "اما", "هر", "چی", "چه", "اگه", "باید", "بار", "the", "and"]
    out = set()
    for w in words + se.fold(extra):
        out.update(w.split())
    return frozenset(out)


_TOKEN = r"(?u)\b[^\W\d_][^\W_]+\b"  # words of 2+ letters (no pure numbers)


def _theme_of_term(terms: list[str]) -> list[str | None]:
    """The first theme whose keyword pattern matches each term (None if none)."""
    _, patterns = _load()
    s = pd.Series(terms, dtype=object)
    out = pd.Series([None] * len(terms), dtype=object)
    for code, pat in patterns.items():
        m = s.str.contains(pat) & out.isna()
        out[m] = code
    return out.tolist()


def discover(texts, n_topics: int = 8, *, n_terms: int = 10, min_df: int = 3, seed: int = 0) -> pd.DataFrame:
    """Topics found by NMF over TF-IDF of the normalized, folded texts (hazm stopwords removed).

    One row per topic: ``topic``, ``terms`` (top ``n_terms`` words/bigrams, best first, joined by
    "، "), ``n_docs`` (texts whose strongest topic it is), ``share``, ``known_theme`` (the theme
    whose keywords cover most of the top terms, None if none) and ``overlap`` (the fraction of
    top terms that theme covers).  A topic with low overlap is a candidate new theme."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = _folded_docs(texts)
    if len(docs) < max(2 * n_topics, 10):
        raise ValueError(f"need at least {max(2 * n_topics, 10)} texts to find {n_topics} topics, got {len(docs)}")
    vec = TfidfVectorizer(token_pattern=_TOKEN, stop_words=sorted(_stopwords()), ngram_range=(1, 2),
                          min_df=min(min_df, max(1, len(docs) // 20)), max_df=0.5, sublinear_tf=True)
    X = vec.fit_transform(docs.tolist())
    k = min(n_topics, X.shape[1] - 1, X.shape[0] - 1)
    nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    W = nmf.fit_transform(X)
    vocab = np.asarray(vec.get_feature_names_out(), dtype=object)
    top = np.argsort(-nmf.components_, axis=1)[:, :n_terms]
    strongest = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    rows = []
    for t in range(k):
        terms = vocab[top[t]].tolist()
        th = pd.Series(_theme_of_term(terms)).dropna()
        known = th.value_counts().idxmax() if len(th) else None
        overlap = float((th == known).sum() / len(terms)) if known else 0.0
        n_docs = int((strongest == t).sum())
        rows.append({"topic": t, "terms": "، ".join(terms), "n_docs": n_docs, "share": n_docs / len(docs),
                     "known_theme": known, "overlap": overlap})
    return pd.DataFrame(rows)


def _doc_ngrams(docs: pd.Series, ngram_range=(1, 3), min_df: int = 2):
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(token_pattern=_TOKEN, stop_words=sorted(_stopwords()), ngram_range=ngram_range,
                          min_df=min_df, binary=True)
    X = vec.fit_transform(docs.tolist())
    return X.tocsc(), np.asarray(vec.get_feature_names_out(), dtype=object)


def uncovered_phrases(texts, k: int = 30, *, ngram_range=(1, 3), min_df: int = 3) -> pd.DataFrame:
    """The ``k`` most frequent words / phrases that no theme keyword covers.

    Counts are texts containing the phrase (stopwords removed before forming n-grams).
    Columns: ``phrase``, ``n_docs``, ``share`` (of all texts), ``n_words``.  Longer
    phrases whose every text is already counted by a shorter one are kept: read the
    list top-down as candidates for new theme keywords."""
    docs = _folded_docs(texts)
    if docs.empty:
        return pd.DataFrame(columns=["phrase", "n_docs", "share", "n_words"])
    X, vocab = _doc_ngrams(docs, ngram_range, min(min_df, max(1, len(docs) // 50)))
    counts = np.asarray(X.sum(axis=0)).ravel()
    themed = pd.Series(_theme_of_term(vocab.tolist())).notna().to_numpy()
    # also drop pure sentiment words: they are the sentiment model's job, not a theme
    lex = pd.Series(vocab).isin(list(__import__("insight._lexicon", fromlist=["load"]).load().terms))
    keep = ~themed & ~lex.to_numpy()
    order = np.argsort(-counts[keep], kind="stable")[:k]
    phr = vocab[keep][order]
    n = counts[keep][order]
    return pd.DataFrame({"phrase": phr, "n_docs": n.astype("int64"), "share": n / len(docs),
                         "n_words": [len(p.split()) for p in phr]})


def emerging(texts, dates, period: str = "month", *, min_count: int = 5, alpha: float = 0.05,
             direction: str = "rising", top: int = 20, ngram_range=(1, 2)) -> pd.DataFrame:
    """Terms whose share of texts changed in the last period versus all earlier periods.

    For each word / bigram: ``n_last`` of ``docs_last`` texts in the latest period contain it,
    ``n_before`` of ``docs_before`` earlier.  Under "no change" n_last given n_last + n_before
    is binomial with p = docs_last / (docs_last + docs_before) (conditional test of two
    Poisson rates); ``rate_ratio`` (share last / share before) gets an exact CI from the
    Clopper-Pearson interval of that binomial, and ``q_value`` is Benjamini-Hochberg over
    all tested terms.  ``direction``: "rising", "fading" or "both".  Terms with fewer than
    ``min_count`` texts in total are not tested.  Periods are Gregorian ("month", "week",
    "quarter")."""
    from scipy import stats as sps
    from statsmodels.stats.multitest import multipletests

    s = _texts(texts)
    d = pd.to_datetime(pd.Series(np.asarray(dates), index=s.index), errors="coerce")
    ok = s.notna() & d.notna()
    if not ok.any():
        raise ValueError("no text with a valid date")
    freq = {"month": "M", "week": "W", "quarter": "Q"}.get(period)
    if freq is None:
        raise ValueError(f"period must be 'month', 'week' or 'quarter', got {period!r}")
    per = d[ok].dt.to_period(freq)
    last = per.max()
    is_last = (per == last).to_numpy()
    if is_last.all() or not is_last.any():
        raise ValueError("need texts both in the latest period and before it")
    docs = _folded_docs(s[ok])
    X, vocab = _doc_ngrams(docs, ngram_range, 1)
    n1 = np.asarray(X[is_last].sum(axis=0)).ravel()
    n0 = np.asarray(X[~is_last].sum(axis=0)).ravel()
    D1, D0 = int(is_last.sum()), int((~is_last).sum())
    test = (n1 + n0) >= min_count
    n1, n0, vocab = n1[test], n0[test], vocab[test]
    tot = n1 + n0
    p0 = D1 / (D1 + D0)
    p_up = sps.binom.sf(n1 - 1, tot, p0)
    p_down = sps.binom.cdf(n1, tot, p0)
    pval = np.minimum(1.0, 2 * np.minimum(p_up, p_down))
    lo_pi = np.where(n1 > 0, sps.beta.ppf(alpha / 2, n1, tot - n1 + 1), 0.0)
    hi_pi = np.where(n0 > 0, sps.beta.ppf(1 - alpha / 2, n1 + 1, tot - n1), 1.0)
    odds = D0 / D1
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (n1 / D1) / (n0 / D0)
        rr_lo = lo_pi / (1 - lo_pi) * odds
        rr_hi = np.where(hi_pi < 1, hi_pi / (1 - hi_pi) * odds, np.inf)
    q = multipletests(pval, method="fdr_bh")[1] if pval.size else pval
    out = pd.DataFrame({"term": vocab, "period": str(last), "n_last": n1.astype("int64"), "docs_last": D1,
                        "n_before": n0.astype("int64"), "docs_before": D0, "share_last": n1 / D1,
                        "share_before": n0 / D0, "rate_ratio": rr, "ci_low": rr_lo, "ci_high": rr_hi,
                        "p_value": pval, "q_value": q})
    out["theme"] = _theme_of_term(out["term"].tolist())
    out["significant"] = out["q_value"] < alpha
    if direction == "rising":
        out = out[out["share_last"] > out["share_before"]].sort_values(["q_value", "rate_ratio"], ascending=[True, False])
    elif direction == "fading":
        out = out[out["share_last"] < out["share_before"]].sort_values(["q_value", "rate_ratio"])
    elif direction == "both":
        out = out.sort_values("q_value")
    else:
        raise ValueError(f"direction must be 'rising', 'fading' or 'both', got {direction!r}")
    return out.head(top).reset_index(drop=True)


# ------------------------------------------------------------------ scorecard
#: return reason codes that speak to honest information (trust); other returns -> value
TRUST_RETURN_REASONS = ("not_as_described", "fake", "counterfeit")


def _period(dates: pd.Series, period: str) -> pd.Series:
    freq = {"month": "M", "week": "W", "quarter": "Q"}.get(period)
    if freq is None:
        raise ValueError(f"period must be 'month', 'week' or 'quarter', got {period!r}")
    return pd.to_datetime(dates, errors="coerce").dt.to_period(freq).astype("str").where(
        pd.to_datetime(dates, errors="coerce").notna())


def _signal_frames(tags, orders, complaints, returns, dates, period) -> list[pd.DataFrame]:
    """Long frames with attribute, source, period, negative (bool) — one row per unit."""
    frames = []
    if tags is not None and len(tags):
        t = tags
        if "date" in t.columns:
            dt = t["date"]
        elif dates is not None:
            dd = pd.Series(np.asarray(dates)) if not isinstance(dates, pd.Series) else dates
            dt = t["doc"].map(dd)
        else:
            dt = pd.Series(pd.NaT, index=t.index)
        frames.append(pd.DataFrame({"attribute": t["attribute"].to_numpy(), "source": "text",
                                    "period": _period(dt, period).to_numpy(),
                                    "negative": (t["sentiment"] == "negative").to_numpy()}))
    if orders is not None and {"promised_date", "delivered_date"} <= set(orders.columns):
        o = orders.dropna(subset=["promised_date", "delivered_date"])
        o = o.groupby("order_id", sort=False).agg(promised=("promised_date", "max"),
                                                   delivered=("delivered_date", "max"),
                                                   when=("order_date", "min"))
        frames.append(pd.DataFrame({"attribute": "reliability", "source": "late delivery",
                                    "period": _period(o["when"], period).to_numpy(),
                                    "negative": (o["delivered"].dt.normalize() > o["promised"].dt.normalize()).to_numpy()}))
    if returns is not None and orders is not None and len(orders):
        o = orders.groupby("order_id", sort=False)["order_date"].min()
        r = returns.drop_duplicates("order_id") if "order_id" in returns.columns else returns.iloc[:0]
        code = r["reason_code"].astype("str").str.lower() if "reason_code" in r.columns else pd.Series("", index=r.index)
        trust_orders = set(r.loc[code.isin(TRUST_RETURN_REASONS), "order_id"])
        ret_orders = set(r["order_id"])
        per = _period(pd.Series(o.to_numpy(), index=o.index), period).to_numpy()
        ids = o.index.to_numpy()
        frames.append(pd.DataFrame({"attribute": "value", "source": "returns", "period": per,
                                    "negative": np.isin(ids, list(ret_orders - trust_orders))}))
        frames.append(pd.DataFrame({"attribute": "trust", "source": "returns: not as described", "period": per,
                                    "negative": np.isin(ids, list(trust_orders))}))
    if complaints is not None and "contacts" in complaints.columns:
        c = complaints[complaints["contacts"].notna()]
        frames.append(pd.DataFrame({"attribute": "relevance", "source": "repeat contacts",
                                    "period": _period(c["opened_at"], period).to_numpy(),
                                    "negative": (c["contacts"] > 1).to_numpy()}))
    return frames


def attribute_trend(tags=None, *, orders=None, complaints=None, returns=None, dates=None,
                    period: str = "month", alpha: float = 0.05) -> pd.DataFrame:
    """Negative share per attribute, source and period (Wilson CIs): the long table behind
    :func:`scorecard`.  Columns: attribute, source, period, n, negative, negative_share,
    ci_low, ci_high."""
    from insight.stats import wilson_ci

    frames = _signal_frames(tags, orders, complaints, returns, dates, period)
    cols = ["attribute", "source", "period", "n", "negative", "negative_share", "ci_low", "ci_high"]
    if not frames:
        return pd.DataFrame(columns=cols)
    long = pd.concat(frames, ignore_index=True).dropna(subset=["period"])
    g = long.groupby(["attribute", "source", "period"], sort=True)["negative"].agg(["size", "sum"]).reset_index()
    g = g.rename(columns={"size": "n", "sum": "negative"})
    lo, hi = wilson_ci(g["negative"], g["n"], alpha)
    g["negative_share"] = g["negative"] / g["n"]
    g["ci_low"], g["ci_high"] = lo, hi
    return g[cols]


def scorecard(tags=None, *, orders=None, complaints=None, returns=None, dates=None,
              period: str = "month", alpha: float = 0.05) -> pd.DataFrame:
    """The four attributes of a frictionless experience, from text and operational signals.

    ``tags``: :func:`tag` output (sentiment per theme mention; give ``dates`` — a Series of
    text dates indexed like the texts — or a ``date`` column for the trend).  Operational
    signals, each the share of units that went wrong:

    * ``orders`` with promised/delivered dates -> reliability ("late delivery", per order);
    * ``returns`` (with ``orders``) -> value ("returns", orders with a return) and trust
      ("returns: not as described", reason codes in ``TRUST_RETURN_REASONS``);
    * ``complaints`` with ``contacts`` -> relevance ("repeat contacts", tickets needing more
      than one contact).

    One row per (attribute, source), all four attributes always present (n = 0 where no
    signal): ``n``, ``negative``, ``negative_share`` with a Wilson CI, ``latest`` /
    ``previous`` period, their shares and n, ``change`` (latest - previous) with a two-proportion
    z-test ``p_value`` and ``significant``.  The per-period table is in ``.attrs["trend"]``
    (and :func:`attribute_trend`)."""
    from insight.stats import two_proportion_test, wilson_ci

    frames = _signal_frames(tags, orders, complaints, returns, dates, period)
    trend = attribute_trend(tags, orders=orders, complaints=complaints, returns=returns, dates=dates,
                            period=period, alpha=alpha)
    rows = []
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["attribute", "source", "period", "negative"])
    for (attr, src), grp in long.groupby(["attribute", "source"], sort=False):
        n, k = len(grp), int(grp["negative"].sum())
        lo, hi = wilson_ci(k, n, alpha)
        r = {"attribute": attr, "source": src, "n": n, "negative": k, "negative_share": k / n if n else np.nan,
             "ci_low": lo, "ci_high": hi, "latest": None, "previous": None, "n_latest": 0, "n_previous": 0,
             "share_latest": np.nan, "share_previous": np.nan, "change": np.nan, "p_value": np.nan,
             "significant": False}
        tr = trend[(trend["attribute"] == attr) & (trend["source"] == src)].sort_values("period")
        if len(tr) >= 2:
            a, b = tr.iloc[-1], tr.iloc[-2]
            cmp = two_proportion_test(a["negative"], a["n"], b["negative"], b["n"], alpha)
            r.update(latest=a["period"], previous=b["period"], n_latest=int(a["n"]), n_previous=int(b["n"]),
                     share_latest=a["negative_share"], share_previous=b["negative_share"],
                     change=cmp.difference, p_value=cmp.p_value, significant=cmp.significant)
        rows.append(r)
    out = pd.DataFrame(rows)
    present = set(out["attribute"]) if len(out) else set()
    missing = [{"attribute": a, "source": "none", "n": 0, "negative": 0, "negative_share": np.nan,
                "ci_low": np.nan, "ci_high": np.nan, "significant": False} for a in ATTRIBUTES if a not in present]
    if missing:
        out = pd.concat([out, pd.DataFrame(missing)], ignore_index=True) if len(out) else pd.DataFrame(missing)
    out["attribute"] = pd.Categorical(out["attribute"], categories=list(ATTRIBUTES), ordered=True)
    out = out.sort_values(["attribute", "source"]).reset_index(drop=True)
    out["attribute"] = out["attribute"].astype("str")
    # the same columns whatever the data had (no signal at all -> four empty rows)
    out = out.reindex(columns=_SCORECARD_COLUMNS)
    out["significant"] = out["significant"].fillna(False).astype(bool)
    out.attrs["trend"] = trend
    return out


_SCORECARD_COLUMNS = ["attribute", "source", "n", "negative", "negative_share", "ci_low", "ci_high",
                      "latest", "previous", "n_latest", "n_previous", "share_latest", "share_previous",
                      "change", "p_value", "significant"]


# ------------------------------------------------------------------ quotes
_UNSAFE = re.compile(r"<[^>]{0,200}>|[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]")
_WS = re.compile(r"\s+")


def _mask(texts: list[str]) -> list[str]:
    from insight.text import mask_pii

    return list(mask_pii(texts))


def _clean(texts: list[str], max_chars: int) -> list[str]:
    out = []
    for t in texts:
        t = _WS.sub(" ", _UNSAFE.sub(" ", t)).strip()
        if len(t) > max_chars:
            cut = t[: max_chars - 1]
            sp = cut.rfind(" ")
            t = (cut[:sp] if sp > max_chars // 2 else cut).rstrip() + "…"
        out.append(t)
    return out


def quotes(texts, tags: pd.DataFrame, theme: str, k: int = 3, *, sentiment: str | None = None,
           max_chars: int = 160) -> pd.DataFrame:
    """Up to ``k`` short representative quotes for a theme, PII-masked, plain text.

    Quotes are the sentences carrying the theme (:func:`tag`), from the theme's most
    common sentiment unless ``sentiment`` is given; the ones closest to that group's
    median score are taken (typical, not extreme), one per text, distinct, preferring
    sentences of 20-160 characters.  Each is masked with :func:`insight.text.mask_pii`,
    stripped of markup and control / bidi-override characters and cut to ``max_chars``
    (HTML escaping is still the renderer's job).  Columns: doc, theme, sentiment, score, quote."""
    cols = ["doc", "theme", "sentiment", "score", "quote"]
    t = tags[tags["theme"] == theme]
    if theme not in set(_load()[0]["theme"]):
        raise ValueError(f"unknown theme {theme!r}; known: {list(_load()[0]['theme'])}")
    if sentiment is None and len(t):
        sentiment = t["sentiment"].value_counts().idxmax()
    if sentiment is not None:
        t = t[t["sentiment"] == sentiment]
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = t.drop_duplicates("sentence")
    ln = t["sentence"].str.len()
    med = t["score"].median()
    pref = ((ln >= 20) & (ln <= max_chars)).astype(int)
    t = t.assign(_pref=-pref, _dist=(t["score"] - med).abs()).sort_values(["_pref", "_dist"], kind="stable")
    t = t.drop_duplicates("doc").head(k)
    q = _clean(_mask(t["sentence"].astype("str").tolist()), max_chars)
    return pd.DataFrame({"doc": t["doc"].to_numpy(), "theme": theme, "sentiment": t["sentiment"].to_numpy(),
                         "score": t["score"].to_numpy(), "quote": q})

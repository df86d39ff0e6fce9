"""Persian sentiment: positive / neutral / negative per text with a score in [-1, 1].

    from insight import sentiment
    sentiment.predict(["غذا خیلی خوشمزه بود", "اصلا خوب نبود"])
    #      label     score
    # 0  positive   0.93
    # 1  negative  -0.88

The default model (``insight/models/sentiment_default.npz``) works with no
training data.  It is a linear model (multinomial logistic regression) over

* hashed char 1-5 grams and word 1-2 grams of the folded text
  (:mod:`insight._hashing`, 2**bits columns per block, each block scaled by
  1/sqrt(its n-gram count)), and
* four features from the project's own lexicon with negation, intensifier and
  emoji rules (:mod:`insight._lexicon`),

trained by ``scripts/train_sentiment.py`` on the labelled public sets in
``../shared/data`` only (SnappFood comments, SentiPers sentences; see
docs/evaluation.md for the held-out results).  Coefficients are stored as plain
numpy arrays (no pickles), so the file does not depend on the scikit-learn
version.

``score`` is P(positive) - P(negative) for a three-class model and
2 P(positive) - 1 for a two-class model; ``label`` is the most likely class
(two-class models call texts with ``|score| < neutral_band`` neutral).

Labels accepted by :func:`train` / :func:`evaluate` (:func:`map_labels`):
positive/neutral/negative (also pos/neu/neg, HAPPY/SAD, مثبت/خنثی/منفی), signs
(-1/0/+1, SentiPers -2..+2), or 1-5 ratings (1-2 negative, 3 neutral, 4-5 positive).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from insight import _hashing as hx
from insight import _lexicon as lx

__all__ = ["predict", "estimate_prior", "train_prior", "train", "evaluate", "cross_validate", "choose_model", "map_labels",
           "fold", "load_model", "default_model", "lexicon_score", "classification_summary",
           "SentimentModel", "EvalResult", "CVResult", "LABELS"]

LABELS = ("positive", "neutral", "negative")
MODEL_DIR = Path(__file__).with_name("models")
DEFAULT_MODEL = MODEL_DIR / "sentiment_default.npz"
CHUNK = 20_000          # texts per hashing batch (bounds memory)
FOLD_BATCH = 50_000     # texts per fold batch (bounds memory)
N_LEX = 4               # lexicon feature columns

# ------------------------------------------------------------------ folding
_DIGITS = {c: str(i % 10) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")}
_FOLD = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "ە": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا",
    "ؤ": "و", "\u200c": " ", "\u200d": None, "\u200e": None, "\u200f": None, "ـ": None,
    "\u00a0": " ", "\t": " ", "\n": " ", "\r": " ", "\ufe0f": None, **_DIGITS,
    **{chr(c): None for c in range(0x064B, 0x0660)}, "\u0670": None,
})
_REPEAT = re.compile(r"([^\s\x00])\1{2,}")  # never the batch separator: empty texts stay rows
_SPACES = re.compile(r" {2,}")


def _code_unit_table(table: dict) -> tuple[np.ndarray, np.ndarray]:
    """``table`` (a str.maketrans dict whose keys and values are single BMP characters
    or None) as a UTF-16 code-unit map and a drop mask."""
    to = np.arange(1 << 16, dtype=np.uint16)
    drop = np.zeros(1 << 16, dtype=bool)
    for k, v in table.items():
        if v is None:
            drop[k] = True
        else:
            to[k] = ord(v)
    return to, drop


_FOLD_TO, _FOLD_DROP = _code_unit_table(_FOLD)
#: characters ``\s`` matches in a str pattern (Py_UNICODE_ISSPACE, as str.isspace; all
#: below U+3001), and the batch separator NUL: _REPEAT never collapses them
_NO_REPEAT = np.array([chr(c).isspace() or c == 0 for c in range(0x3001)], dtype=bool)


def _translate_fold(big: str) -> str:
    """``big.translate(_FOLD)``, on the UTF-16 code units with numpy: str.translate looks
    every character of a non-ASCII text up in the dict (~50 ms for 5,000 reviews).
    The same string: every key and value of _FOLD is one BMP character, and the two
    units of a surrogate pair (characters above U+FFFF) are never keys.  A text holding
    surrogate code points itself cannot be encoded strictly: it keeps str.translate."""
    try:
        units = np.frombuffer(big.encode("utf-16-le"), dtype="<u2")
    except UnicodeEncodeError:
        return big.translate(_FOLD)
    out = _FOLD_TO[units]
    drop = _FOLD_DROP[units]
    if drop.any():
        out = out[~drop]
    return out.tobytes().decode("utf-16-le")


def _collapse_repeats(big: str) -> str:
    r"""``_REPEAT.sub(r"\1", big)`` with numpy on the code points: a maximal run of 3 or
    more equal characters, other than whitespace and NUL, becomes one (the regex tries
    its group and back-reference at every position: ~15 ms for 5,000 reviews).  A text
    holding surrogate code points keeps the regex."""
    try:
        cp = np.frombuffer(big.encode("utf-32-le"), dtype="<u4")
    except UnicodeEncodeError:
        return _REPEAT.sub(r"\1", big)
    n = len(cp)
    if n < 3:
        return big
    same = cp[1:] == cp[:-1]
    if not (same[1:] & same[:-1]).any():      # no three equal in a row
        return big
    start = np.flatnonzero(np.r_[True, ~same])             # maximal runs
    length = np.diff(np.r_[start, n])
    c = cp[start]
    blank = np.zeros(len(c), dtype=bool)
    low = c < len(_NO_REPEAT)
    blank[low] = _NO_REPEAT[c[low]]
    hit = (length >= 3) & ~blank
    # drop every character of such a run but its first
    edge = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edge, start[hit] + 1, 1)
    np.add.at(edge, start[hit] + length[hit], -1)
    keep = np.cumsum(edge[:-1]) == 0
    return cp[keep].tobytes().decode("utf-32-le")


def fold(texts) -> list[str]:
    """Canonical form the model and lexicon see (one pass over the joined batch).

    Arabic letter forms -> Persian (ي ى -> ی, ك -> ک, ة ۀ -> ه), Persian/Arabic digits ->
    0-9, ZWNJ and line breaks -> space, diacritics and tatweel dropped, Latin lower-cased,
    3+ repeats of a character -> one (عاااالی -> عالی), runs of spaces -> one.
    Vectorized over the whole batch (the translation and the repeats on the joined
    texts' code points with numpy, one regex pass for the spaces)."""
    texts = [t if isinstance(t, str) else "" for t in texts]
    if not texts:
        return []
    big = "\x00".join(texts)
    if big.count("\x00") != len(texts) - 1:  # NULs inside texts: drop them first
        big = "\x00".join(t.replace("\x00", " ") for t in texts)
    big = _translate_fold(big).lower()
    big = _collapse_repeats(big)
    big = _SPACES.sub(" ", big)
    return [t.strip() for t in big.split("\x00")]


def _prepare(texts: list[str]) -> list[str]:
    """What the model and the lexicon read: :func:`fold` of the raw text.

    Deliberately *not* :func:`insight.text.normalize` (hazm-identical): that runs at
    ~5-9k unique texts/s after a one-off ~30-40 s load of hazm's word lists, while
    ``predict`` must score >= 20k texts/s.  The hazm steps that matter for hashed
    n-grams and the lexicon (Arabic letter forms, digits, diacritics, ZWNJ, repeated
    letters) are in :func:`fold`; the rest (punctuation spacing, joining affixes with a
    ZWNJ that fold turns back into a space) changes few features.
    Folded in batches of ``FOLD_BATCH`` texts: :func:`fold` joins its batch into one
    string and works on its code points, several copies of it at once (the 361,651 bench
    texts in one batch raised the stage's peak RSS by ~0.4 GB); each text's fold does not
    depend on the others, so the result is the same."""
    if len(texts) <= FOLD_BATCH:
        return fold(texts)
    out: list[str] = []
    for s in range(0, len(texts), FOLD_BATCH):
        out.extend(fold(texts[s:s + FOLD_BATCH]))
    return out


# ------------------------------------------------------------------ features
@dataclass
class _Feats:
    n: int
    char_doc: np.ndarray
    char_col: np.ndarray
    char_inv: np.ndarray   # 1/sqrt(char n-gram count) per doc
    word_doc: np.ndarray
    word_col: np.ndarray
    word_inv: np.ndarray
    lex: np.ndarray        # (n, N_LEX)


def _lex_features(c: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([lx.score_from(c), np.tanh(c["pos"] / 2), np.tanh(c["neg"] / 2),
                            np.tanh(c["emoji"] / 2)])


def _features(folded: list[str], bits: int, chars: tuple[int, int] = (1, 5)) -> _Feats:
    b = hx.batch(folded)
    cd, ch = hx.char_ngrams(b, *chars)
    wd, wh = hx.word_ngrams(b, 2)
    n = len(folded)
    cinv = 1 / np.sqrt(np.maximum(np.bincount(cd, minlength=n), 1))
    winv = 1 / np.sqrt(np.maximum(np.bincount(wd, minlength=n), 1))
    lexf = _lex_features(lx.contributions(b))
    # (the char hashes are fresh arrays used only here: their columns are made in place)
    return _Feats(n, cd, hx.column_inplace(ch, bits), cinv, wd, hx.column(wh, bits), winv, lexf)


def _design(f: _Feats, bits: int):
    """Sparse design matrix (training only): [char block | word block | lexicon]."""
    import scipy.sparse as sp

    D = 1 << bits
    rows = np.concatenate([f.char_doc, f.word_doc, np.repeat(np.arange(f.n), N_LEX)])
    cols = np.concatenate([f.char_col, D + f.word_col, 2 * D + np.tile(np.arange(N_LEX), f.n)])
    vals = np.concatenate([f.char_inv[f.char_doc], f.word_inv[f.word_doc], f.lex.ravel()])
    return sp.csr_matrix((vals, (rows, cols)), shape=(f.n, 2 * D + N_LEX))


# ------------------------------------------------------------------ model
@dataclass
class SentimentModel:
    """A linear model over hashed n-grams + lexicon features.

    ``coef`` has one row per class in ``classes`` (three-class models) or a single row
    for ``classes = ("negative", "positive")`` (the positive-class logit)."""
    classes: tuple[str, ...]
    coef: np.ndarray          # (k, 2 * 2**bits + N_LEX) float32
    intercept: np.ndarray     # (k,)
    bits: int = 18
    neutral_band: float = 0.0
    meta: dict = field(default_factory=dict)
    chars: tuple[int, int] = (1, 5)   # char n-gram lengths

    # -- scoring
    def _logits(self, folded: list[str]) -> np.ndarray:
        """Logits per class; for k > 2 classes only k - 1 are computed (relative to the
        last class, whose logit is 0: softmax is unchanged), which saves a third of the
        work for the three-class default."""
        D = 1 << self.bits
        k = self.coef.shape[0]
        W, b = self._scoring_weights()
        out = np.zeros((len(folded), k))
        for s in range(0, len(folded), CHUNK):
            f = _features(folded[s:s + CHUNK], self.bits, self.chars)
            gw = np.empty(len(f.char_col))   # each row's char weights, gathered into one buffer
            for j, w in enumerate(W):
                np.take(w, f.char_col, out=gw, mode="clip")   # (columns < 2**bits; "raise" buffers)
                z = np.bincount(f.char_doc, weights=gw, minlength=f.n) * f.char_inv
                z += np.bincount(f.word_doc, weights=w[D + f.word_col], minlength=f.n) * f.word_inv
                z += f.lex @ w[2 * D:]
                out[s:s + f.n, j] = z + b[j]
        return out if k > 2 else out[:, :1]

    def _scoring_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows of :meth:`_logits` (float64; k - 1 rows relative to the last class when
        k > 2) and their intercepts, kept while ``coef`` and ``intercept`` are the same
        arrays (do not edit them in place): 2 x 0.5M coefficients made float64 on every
        call took 3-10 ms; :func:`load_model` makes them when the model is loaded."""
        hit = self.__dict__.get("_scoring")
        if hit is not None and hit[0] is self.coef and hit[1] is self.intercept:
            return hit[2], hit[3]
        if self.coef.shape[0] > 2:
            W = self.coef[:-1] - self.coef[-1]
            b = self.intercept[:-1] - self.intercept[-1]
        else:
            W, b = self.coef, self.intercept
        W = np.ascontiguousarray(W, dtype=np.float64)
        self.__dict__["_scoring"] = (self.coef, self.intercept, W, b)
        return W, b

    def predict_folded(self, folded: list[str]) -> pd.DataFrame:
        """label / score / p_<class> for already prepared (normalized + folded) texts."""
        z = self._logits(folded)
        if len(self.classes) == 2:
            p_pos = 1 / (1 + np.exp(-z[:, 0]))
            score = 2 * p_pos - 1
            label = np.where(score >= 0, "positive", "negative")
            label = np.where(np.abs(score) < self.neutral_band, "neutral", label)
            probs = {"p_negative": 1 - p_pos, "p_positive": p_pos}
        else:
            z = z - z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            cls = list(self.classes)
            score = p[:, cls.index("positive")] - p[:, cls.index("negative")]
            label = np.asarray(cls, dtype=object)[p.argmax(axis=1)]
            probs = {f"p_{c}": p[:, i] for i, c in enumerate(cls)}
        return pd.DataFrame({"label": label, "score": score, **probs})

    def describe(self) -> str:
        m = self.meta
        return m.get("description", f"linear model ({'/'.join(self.classes)}), "
                                    f"trained on {m.get('n_train', '?')} texts")

    # -- persistence (plain arrays, no pickles)
    def save(self, path) -> Path:
        """Write the model as a compressed .npz; coefficients as int8 with a per-class scale
        when ``meta['quantize']`` is true (the default model), else float32."""
        path = Path(path)
        coef = self.coef.astype(np.float32)
        extra = {}
        if self.meta.get("quantize", False):
            scale = np.abs(coef).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            extra["coef_q"] = np.round(coef / scale[:, None]).astype(np.int8)
            extra["coef_scale"] = scale.astype(np.float32)
        else:
            extra["coef"] = coef
        np.savez_compressed(path, classes=np.array(self.classes), intercept=self.intercept.astype(np.float64),
                            bits=np.int64(self.bits), neutral_band=np.float64(self.neutral_band),
                            chars=np.asarray(self.chars, dtype=np.int64),
                            meta=np.array(json.dumps(self.meta, ensure_ascii=False)), **extra)
        return path


def load_model(path) -> SentimentModel:
    """Read a model written by :meth:`SentimentModel.save`."""
    with np.load(Path(path), allow_pickle=False) as z:
        if "coef_q" in z:
            coef = z["coef_q"].astype(np.float32) * z["coef_scale"][:, None]
        else:
            coef = z["coef"]
        chars = tuple(int(c) for c in z["chars"]) if "chars" in z else (1, 5)
        model = SentimentModel(tuple(str(c) for c in z["classes"]), coef, z["intercept"],
                               int(z["bits"]), float(z["neutral_band"]), json.loads(str(z["meta"])), chars)
    model._scoring_weights()   # part of loading: a report loads its model once
    lx.load()                  # (as are the lexicon tables its features use; kept per process)
    return model


@lru_cache(maxsize=1)
def default_model() -> SentimentModel:
    """The shipped model (see docs/evaluation.md)."""
    if not DEFAULT_MODEL.exists():
        raise FileNotFoundError(f"{DEFAULT_MODEL} is missing; run scripts/train_sentiment.py")
    return load_model(DEFAULT_MODEL)


# ------------------------------------------------------------------ public API
def _as_series(texts) -> pd.Series:
    if isinstance(texts, str):
        raise TypeError("pass a list/Series of texts, not a single string (wrap it: [text])")
    if isinstance(texts, pd.DataFrame):
        raise TypeError("pass a Series/list of texts, not a DataFrame (e.g. df['text'])")
    return texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)


def predict(texts, model: SentimentModel | str | None = None, *, adapt_prior: bool = False) -> pd.DataFrame:
    """Sentiment of each text: DataFrame with ``label`` (positive/neutral/negative) and
    ``score`` in [-1, 1] (plus ``p_<class>`` probabilities), index aligned to ``texts``.

    ``model``: None (the shipped default), a :class:`SentimentModel`, or ``"lexicon"``
    (rules only: score = lexicon score, neutral when |score| < 0.1).
    Missing / empty texts get NaN label and score.  Identical texts are scored once.

    ``adapt_prior=True`` (transductive, off by default): the class shares of *this batch*
    are estimated from the texts themselves (no labels) by EM (Saerens, Latinne &
    Decaestecker 2002, :func:`estimate_prior`) and every text's probabilities are
    re-weighted from the model's training prior to that estimate, so a batch that is,
    say, mostly praise is not scored with the balanced prior of the training data.  The
    result then depends on the whole batch (pass a few hundred texts or more, all from
    one source); the estimate is in ``result.attrs["prior"]`` (training prior in
    ``attrs["train_prior"]``).  Two-class models only (e.g. one from :func:`train` or
    :func:`choose_model` on positive/negative labels): with the three-class default, EM
    drove the negative share of SentiPers sentences to 0 (true 11%) in cross-validation
    inside the training parts and halved its pos-vs-neg macro-F1, so it raises there.
    Measured gain is small (docs/evaluation.md): the SnappFood-only model on SentiPers
    product sentences goes from macro-F1 0.613 to 0.625 (target 0.75), because EM fixes
    a wrong prior, not a model that ranks the texts poorly."""
    s = _as_series(texts)
    ok = s.notna() & (s.astype("str").str.strip() != "") if len(s) else pd.Series([], dtype=bool)
    codes, uniques = pd.factorize(s.where(ok))
    uniq = [str(u) for u in uniques.tolist()]   # (iterating an Arrow-backed Index is ~3x slower)
    folded = _prepare(uniq)
    prior_attrs = {}
    if isinstance(model, str) and model == "lexicon":
        if adapt_prior:
            raise ValueError("adapt_prior needs a model with probabilities, not the lexicon rules")
        sc = lexicon_score(folded, prepared=True)["score"].to_numpy()
        lab = np.where(sc >= 0.1, "positive", np.where(sc <= -0.1, "negative", "neutral"))
        res = pd.DataFrame({"label": lab, "score": sc})
    else:
        model = model or default_model()
        if adapt_prior and len(model.classes) != 2:
            raise ValueError("adapt_prior is for two-class (positive/negative) models; on the three-class "
                             "default it over-corrects (docs/evaluation.md)")
        res = model.predict_folded(folded)
        if adapt_prior and len(res):
            res, prior_attrs = _adapt(model, res, np.bincount(codes[codes >= 0], minlength=len(res)))
    if len(res):
        out = res.iloc[np.where(codes >= 0, codes, 0)].reset_index(drop=True)
    else:
        out = pd.DataFrame({c: np.full(len(s), np.nan) for c in ["label", "score"]})
    out.index = s.index
    bad = codes < 0
    if bad.any():
        out.loc[bad, :] = np.nan
    out["label"] = out["label"].astype("str").where(~bad)
    out["score"] = out["score"].astype("float64").clip(-1, 1)
    out.attrs.update(prior_attrs)
    return out


def train_prior(model: SentimentModel) -> np.ndarray:
    """Class prior the model's probabilities refer to, in ``model.classes`` order:
    ``meta["train_prior"]`` when recorded, else uniform (``train`` weights classes to
    balance by default, and the shipped default was trained that way)."""
    tp = model.meta.get("train_prior")
    if tp is None:
        return np.full(len(model.classes), 1 / len(model.classes))
    return np.asarray([float(tp[c]) for c in model.classes])


def estimate_prior(proba, train_prior, *, weights=None, tol: float = 1e-6,
                   max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """EM estimate of the class prior of unlabelled texts (Saerens, Latinne &
    Decaestecker 2002, "Adjusting the outputs of a classifier to new a priori
    probabilities").

    ``proba``: (n, k) posteriors of a classifier trained under ``train_prior`` (k,);
    ``weights``: optional count per row (duplicates).  Iterates
    ``q_i ∝ proba_i * prior / train_prior``, ``prior = weighted mean of q_i`` until the
    prior moves less than ``tol``.  Returns ``(prior, q)`` with ``q`` the re-weighted
    posteriors.  The posteriors must be roughly calibrated (logistic regression's are,
    in-domain: a Platt fit on cross-validated SnappFood scores has slope 0.88, intercept
    -0.02)."""
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] == 0:
        raise ValueError("proba must be a non-empty (n, k) array")
    t = np.asarray(train_prior, dtype=np.float64)
    w = np.ones(P.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    P = np.clip(P, 1e-12, None) / t        # likelihood ratios up to a per-row constant
    pi = t.copy()
    for _ in range(max_iter):
        Q = P * pi
        Q /= Q.sum(axis=1, keepdims=True)
        new = w @ Q
        done = np.abs(new - pi).max() < tol
        pi = new
        if done:
            break
    Q = P * pi
    Q /= Q.sum(axis=1, keepdims=True)
    return pi, Q


def _adapt(model: SentimentModel, res: pd.DataFrame, weights: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Re-weight ``predict_folded`` output to the EM-estimated prior of the batch."""
    cls = list(model.classes)
    t = train_prior(model)
    pi, Q = estimate_prior(res[[f"p_{c}" for c in cls]].to_numpy(), t, weights=weights)
    out = res.copy()
    for i, c in enumerate(cls):
        out[f"p_{c}"] = Q[:, i]
    out["score"] = Q[:, cls.index("positive")] - Q[:, cls.index("negative")]
    lab = np.where(out["score"] >= 0, "positive", "negative")
    out["label"] = np.where(np.abs(out["score"]) < model.neutral_band, "neutral", lab)
    return out, {"prior": dict(zip(cls, map(float, pi))), "train_prior": dict(zip(cls, map(float, t)))}


def lexicon_score(texts, *, prepared: bool = False) -> pd.DataFrame:
    """Rules-only lexicon result per text: ``score`` in [-1, 1], ``pos``/``neg`` sums,
    ``emoji`` sum and ``n_hits`` (polar words/phrases matched)."""
    texts = list(texts)
    folded = texts if prepared else _prepare([t if isinstance(t, str) else "" for t in texts])
    c = lx.contributions(hx.batch(folded))
    return pd.DataFrame({"score": lx.score_from(c), "pos": c["pos"], "neg": c["neg"],
                         "emoji": c["emoji"], "n_hits": c["n_hits"]})


# ------------------------------------------------------------------ labels
_LABEL_WORDS = {
    "positive": "positive", "pos": "positive", "happy": "positive", "مثبت": "positive", "+": "positive",
    "neutral": "neutral", "neu": "neutral", "mixed": "neutral", "خنثی": "neutral", "0": "neutral",
    "negative": "negative", "neg": "negative", "sad": "negative", "منفی": "negative", "-": "negative",
}


def map_labels(labels, scale: str | None = None) -> pd.Series:
    """Map labels to positive / neutral / negative (NaN stays NaN).

    ``scale``: ``"rating"`` (1-5: 1-2 negative, 3 neutral, 4-5 positive), ``"sign"``
    (< 0 negative, 0 neutral, > 0 positive) or None to infer: numbers all in 1..5 with
    some value >= 2 are ratings, other numbers in -2..2 are signs.  Strings: positive /
    neutral / negative, pos/neu/neg, HAPPY/SAD, مثبت/خنثی/منفی (any case)."""
    s = labels if isinstance(labels, pd.Series) else pd.Series(list(labels), dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    is_num = num.notna() | s.isna()
    if bool(is_num.all()) and num.notna().any():
        v = num.astype("float64")
        vals = v.dropna()
        if scale is None:
            if vals.between(1, 5).all() and (vals >= 2).any() and (vals == vals.round()).all():
                scale = "rating"
            elif vals.between(-2, 2).all():
                scale = "sign"
            else:
                raise ValueError(f"numeric labels in {vals.min()}..{vals.max()}: pass scale='rating' "
                                 "(1-5) or scale='sign'")
        if scale == "rating":
            if not vals.between(1, 5).all():
                raise ValueError("ratings must be in 1..5")
            out = np.select([v <= 2.5, v < 3.5], ["negative", "neutral"], "positive")
        elif scale == "sign":
            out = np.select([v < 0, v == 0], ["negative", "neutral"], "positive")
        else:
            raise ValueError(f"scale must be 'rating', 'sign' or None, got {scale!r}")
        return pd.Series(out, index=s.index, dtype="str").where(v.notna())
    key = s.astype("str").str.strip().str.lower()
    out = key.map(_LABEL_WORDS)
    bad = out.isna() & s.notna()
    if bad.any():
        raise ValueError(f"unknown sentiment label(s) {sorted(set(s[bad].astype(str)))[:5]}; use "
                         "positive/neutral/negative, HAPPY/SAD, -1/0/1 or 1-5 ratings")
    return out.astype("str").where(s.notna())


# ------------------------------------------------------------------ training
def _clean_labelled(texts, labels, scale):
    t = _as_series(texts).reset_index(drop=True)
    y = map_labels(labels, scale).reset_index(drop=True)
    if len(t) != len(y):
        raise ValueError(f"{len(t)} texts but {len(y)} labels")
    keep = (y.notna() & t.notna()).to_numpy()
    return t[keep].reset_index(drop=True), y[keep].reset_index(drop=True), keep


def _fit(X, y: np.ndarray, *, C: float, bits: int, sample_weight=None, class_weight="balanced",
         nb: bool = False, solver: str = "auto", tol: float | None = None, max_iter: int = 2000):
    """Fit the logistic regression on a design matrix; returns (classes, coef, intercept)
    in the full column space.

    Only the columns some training row uses are passed to the solver (a few 10k of the
    2 * 2**bits hashed columns for a few thousand texts), which is where L-BFGS spent
    most of its time (its per-iteration cost is linear in the number of columns);
    unused columns get weight 0, exactly what the full fit gives them under L2.
    ``solver="auto"``: liblinear for two classes, saga (multinomial, tol 1e-3) for three:
    on 3k-6k texts 4-8x faster than L-BFGS with the same held-out / CV macro-F1
    (docs/evaluation.md).  The shipped default is fit with ``solver="lbfgs"``."""
    from sklearn.linear_model import LogisticRegression

    r = _nb_ratios(X, y, bits) if nb else None
    used = np.unique(X.indices)
    Xu = X[:, used]
    if r is not None:
        import scipy.sparse as sp

        Xu = (Xu @ sp.diags(r[used])).tocsr()
    classes = np.unique(y)
    if solver == "auto":
        solver = "liblinear" if classes.size == 2 else "saga"
    if tol is None:
        tol = 1e-3 if solver in ("liblinear", "saga") else 1e-4
    clf = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight, solver=solver, tol=tol)
    clf.fit(Xu, y, sample_weight=sample_weight)
    coef = np.zeros((clf.coef_.shape[0], X.shape[1]), dtype=np.float64)
    coef[:, used] = clf.coef_ if r is None else clf.coef_ * r[used][None, :]  # fold the NB scale in
    return tuple(str(c) for c in clf.classes_), coef, np.asarray(clf.intercept_, dtype=np.float64)


def train(texts, labels, *, C: float = 3.0, bits: int = 18, chars: tuple[int, int] = (1, 5),
          scale: str | None = None,
          sample_weight=None, class_weight="balanced", neutral_band: float = 0.0, nb: bool = False,
          solver: str = "auto", tol: float | None = None,
          max_iter: int = 2000, meta: dict | None = None) -> SentimentModel:
    """Fit a model on labelled texts (labels: see :func:`map_labels`).

    Two classes present (positive, negative) -> a binary model; neutral too -> three
    classes.  ``C``: inverse L2 strength of the logistic regression; ``bits``: hash
    table size per block (2**bits); ``chars``: char n-gram lengths; ``nb``: scale each
    n-gram column by its naive-Bayes log-count ratio (positive vs negative texts) before
    the regression (NB-LR, Wang & Manning 2012) — folded into the stored weights, so
    scoring is unchanged.  Off by default: +0.8 macro-F1 points in 5-fold CV on SnappFood
    but worse across domains (docs/evaluation.md).  ``solver`` / ``tol``: scikit-learn
    ``LogisticRegression`` settings ("auto":
    liblinear for two classes, saga for three; see :func:`_fit`).
    Returns a :class:`SentimentModel`."""
    t, y, keep = _clean_labelled(texts, labels, scale)
    classes = sorted(set(y))
    if not {"positive", "negative"} <= set(classes):
        raise ValueError(f"need both positive and negative examples, got {classes}")
    X = _design(_features(_prepare([str(x) for x in t]), bits, chars), bits)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[keep]
    cls, coef, b = _fit(X, y.to_numpy(), C=C, bits=bits, sample_weight=sw, class_weight=class_weight,
                        nb=nb, solver=solver, tol=tol, max_iter=max_iter)
    info = {"n_train": int(len(y)), "n_by_class": {c: int((y == c).sum()) for c in cls},
            "train_prior": _effective_prior(y.to_numpy(), cls, sw, class_weight),
            "C": C, "bits": bits, "features": f"char {chars[0]}-{chars[1]} + word 1-2 hashed, lexicon x4",
            **(meta or {})}
    return SentimentModel(cls, coef.astype(np.float32), b, bits, neutral_band, info, tuple(chars))


def _effective_prior(y: np.ndarray, classes, sample_weight, class_weight) -> dict[str, float]:
    """Class shares the fit saw after sample and class weights (what its probabilities
    are calibrated to; ``predict(adapt_prior=True)`` re-weights from it)."""
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    n = {c: (y == c).sum() for c in classes}
    if class_weight == "balanced":
        cw = {c: len(y) / (len(classes) * n[c]) for c in classes}
    elif isinstance(class_weight, dict):
        cw = {c: float(class_weight.get(c, 1.0)) for c in classes}
    else:
        cw = {c: 1.0 for c in classes}
    mass = {c: cw[c] * sw[y == c].sum() for c in classes}
    tot = sum(mass.values())
    return {c: float(mass[c] / tot) for c in classes}


def _nb_ratios(X, y: np.ndarray, bits: int, alpha: float = 1.0) -> np.ndarray:
    """|log-count ratio| of every hashed column, positive vs negative rows (presence
    counts, add-``alpha`` smoothing); 1 for the lexicon columns.  Used as a column scale,
    so its magnitude (how polarised a feature is) matters, and the sign is left to the
    regression (which also has to serve the neutral class)."""
    D2 = 2 << bits
    B = X[:, :D2]
    B = B.copy()
    B.data = np.ones_like(B.data)
    p = np.asarray(B[y == "positive"].sum(axis=0)).ravel() + alpha
    q = np.asarray(B[y == "negative"].sum(axis=0)).ravel() + alpha
    r = np.abs(np.log((p / p.sum()) / (q / q.sum())))
    return np.r_[r, np.ones(X.shape[1] - D2)]


# ------------------------------------------------------------------ evaluation
@dataclass
class EvalResult:
    """Classification quality on labelled texts.

    ``macro_f1`` with a percentile bootstrap CI (``n_boot`` resamples of texts),
    ``accuracy`` with a Wilson CI, ``confusion`` (rows = true, columns = predicted) and
    ``per_class`` (precision, recall, f1, support).  ``mode``: "3-class" or "binary"
    (true labels only positive/negative: the prediction is the sign of the score)."""
    macro_f1: float
    macro_f1_ci: tuple[float, float]
    accuracy: float
    accuracy_ci: tuple[float, float]
    n: int
    confusion: pd.DataFrame
    per_class: pd.DataFrame
    mode: str = "3-class"

    def as_dict(self) -> dict:
        return {"n": self.n, "mode": self.mode, "macro_f1": self.macro_f1,
                "macro_f1_ci_low": self.macro_f1_ci[0], "macro_f1_ci_high": self.macro_f1_ci[1],
                "accuracy": self.accuracy, "accuracy_ci_low": self.accuracy_ci[0],
                "accuracy_ci_high": self.accuracy_ci[1]}


def _macro_f1_from_counts(cm: np.ndarray) -> np.ndarray:
    """Macro-F1 from confusion matrices (..., k, k); classes absent from both truth and
    prediction are left out (as sklearn does for labels that never appear)."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
    t = cm.sum(axis=-1).astype(float)
    p = cm.sum(axis=-2).astype(float)
    denom = t + p
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / denom, np.nan)
    return np.nanmean(f1, axis=-1)


def classification_summary(y_true, y_pred, *, labels=None, n_boot: int = 1000, seed: int = 0,
                           alpha: float = 0.05, mode: str = "3-class") -> EvalResult:
    """Macro-F1 (bootstrap CI), accuracy (Wilson CI), confusion table, per-class scores."""
    from insight.stats import wilson_ci

    yt = np.asarray(pd.Series(y_true).astype("str"))
    yp = np.asarray(pd.Series(y_pred).astype("str"))
    if yt.size != yp.size:
        raise ValueError(f"{yt.size} true labels but {yp.size} predictions")
    if yt.size == 0:
        raise ValueError("nothing to evaluate (no labelled texts)")
    labs = list(labels) if labels is not None else [c for c in LABELS if c in set(yt) | set(yp)]
    extra = sorted((set(yt) | set(yp)) - set(labs))
    labs += extra
    k = len(labs)
    pos = {c: i for i, c in enumerate(labs)}
    ti = np.array([pos[c] for c in yt])
    pi = np.array([pos[c] for c in yp])
    cm = np.bincount(ti * k + pi, minlength=k * k).reshape(k, k)
    f1 = float(_macro_f1_from_counts(cm))
    rng = np.random.default_rng(seed)
    n = yt.size
    boots = []
    step = max(1, 2_000_000 // n)
    for s in range(0, n_boot, step):
        m = min(step, n_boot - s)
        idx = rng.integers(0, n, size=(m, n))
        cell = (ti[idx] * k + pi[idx]) + (np.arange(m)[:, None] * k * k)
        boots.append(_macro_f1_from_counts(np.bincount(cell.ravel(), minlength=m * k * k)
                                           .reshape(m, k, k)))
    boots = np.concatenate(boots) if boots else np.array([f1])
    lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    acc_k = int(np.trace(cm))
    alo, ahi = wilson_ci(acc_k, n, alpha)
    tp = np.diag(cm).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = tp / cm.sum(axis=0)
        rec = tp / cm.sum(axis=1)
        f1c = 2 * prec * rec / (prec + rec)
    per = pd.DataFrame({"precision": prec, "recall": rec, "f1": np.nan_to_num(f1c),
                        "support": cm.sum(axis=1)}, index=pd.Index(labs, name="label"))
    conf = pd.DataFrame(cm, index=pd.Index(labs, name="true"), columns=pd.Index(labs, name="predicted"))
    return EvalResult(f1, (float(lo), float(hi)), acc_k / n, (float(alo), float(ahi)), int(n),
                      conf, per, mode)


def evaluate(model, texts, labels, *, scale: str | None = None, binary: bool | None = None,
             n_boot: int = 1000, seed: int = 0) -> EvalResult:
    """Evaluate ``model`` (a :class:`SentimentModel`, None for the default, or "lexicon")
    on labelled texts.  When the true labels are only positive/negative (``binary`` None
    -> inferred) the prediction is the sign of the score, so a three-class model is
    judged on polarity; otherwise on its labels."""
    t = _as_series(texts).reset_index(drop=True)
    y = map_labels(labels, scale).reset_index(drop=True)
    keep = (y.notna() & t.notna()).to_numpy()
    t, y = t[keep], y[keep]
    pred = predict(t, model)
    if binary is None:
        binary = set(y) <= {"positive", "negative"}
    if binary:
        yp = np.where(pred["score"].to_numpy() >= 0, "positive", "negative")
        return classification_summary(y, yp, labels=["positive", "negative"], n_boot=n_boot,
                                      seed=seed, mode="binary")
    return classification_summary(y, pred["label"], n_boot=n_boot, seed=seed)


@dataclass
class CVResult:
    """k-fold cross-validation: per-fold table and pooled out-of-fold evaluation."""
    folds: pd.DataFrame          # fold, n_train, n_test, accuracy, macro_f1
    pooled: EvalResult           # all out-of-fold predictions together
    k: int

    @property
    def accuracy(self) -> float:
        return self.pooled.accuracy

    @property
    def macro_f1(self) -> float:
        return self.pooled.macro_f1


def _oof_labels(X, coef: np.ndarray, b: np.ndarray, classes: tuple[str, ...], binary: bool) -> np.ndarray:
    """Labels :func:`predict` would give (binary truth -> sign of the score), from the
    design matrix directly (no second pass over the texts)."""
    z = np.asarray(X @ coef.T) + b
    cls = list(classes)
    if len(cls) == 2:
        pos = z[:, 0] >= 0 if cls[1] == "positive" else z[:, 0] < 0
        return np.where(pos, "positive", "negative")
    if binary:
        return np.where(z[:, cls.index("positive")] >= z[:, cls.index("negative")], "positive", "negative")
    return np.asarray(cls, dtype=object)[z.argmax(axis=1)]


def cross_validate(texts, labels, k: int = 5, *, seed: int = 0, scale: str | None = None,
                   groups=None, n_boot: int = 1000, bits: int = 18, chars: tuple[int, int] = (1, 5),
                   sample_weight=None, **train_kw) -> CVResult:
    """Stratified k-fold CV of :func:`train` (grouped by ``groups`` when given, e.g. the
    review a sentence came from).  Pooled out-of-fold predictions are evaluated once
    (binary labels -> sign of the score, as in :func:`evaluate`).

    The hashed features of a text do not depend on the other texts, so they are built
    once and each fold fits on its rows (naive-Bayes ratios, when ``nb=True``, are
    computed from the fold's training rows only).  ``train_kw`` go to :func:`train`."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    t, y, keep = _clean_labelled(texts, labels, scale)
    if y.value_counts().min() < k:
        raise ValueError(f"each class needs at least k={k} examples: {y.value_counts().to_dict()}")
    binary = set(y) <= {"positive", "negative"}
    if groups is not None:
        g = np.asarray(groups)[keep]
        splits = StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(t, y, g)
    else:
        splits = StratifiedKFold(k, shuffle=True, random_state=seed).split(t, y)
    fit_kw = {a: train_kw.pop(a) for a in ("C", "class_weight", "nb", "solver", "tol", "max_iter")
              if a in train_kw}
    fit_kw.setdefault("C", 3.0)
    train_kw.pop("meta", None), train_kw.pop("neutral_band", None)
    if train_kw:
        raise TypeError(f"unexpected arguments {sorted(train_kw)}")
    X = _design(_features(_prepare([str(x) for x in t]), bits, chars), bits)
    yv = y.to_numpy()
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[keep]
    oof = np.empty(len(t), dtype=object)
    rows = []
    for i, (tr, te) in enumerate(splits):
        cls, coef, b = _fit(X[tr], yv[tr], bits=bits, sample_weight=None if sw is None else sw[tr], **fit_kw)
        lab = _oof_labels(X[te], coef.astype(np.float32).astype(np.float64), b, cls, binary)
        oof[te] = lab
        r = classification_summary(yv[te], lab, n_boot=0, mode="binary" if binary else "3-class")
        rows.append({"fold": i, "n_train": len(tr), "n_test": len(te), "accuracy": r.accuracy,
                     "macro_f1": r.macro_f1})
    pooled = classification_summary(y, oof, n_boot=n_boot, mode="binary" if binary else "3-class",
                                    labels=["positive", "negative"] if binary else None)
    return CVResult(pd.DataFrame(rows), pooled, k)


def _stratified_cap(y: pd.Series, cap: int, seed: int) -> np.ndarray:
    """Positions of at most ``cap`` rows, each class keeping its share (seeded)."""
    if len(y) <= cap:
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(np.arange(len(y)), train_size=cap, random_state=seed, stratify=y.to_numpy())
    return np.sort(idx)


def choose_model(texts, labels, *, min_n: int = 300, min_per_class: int = 30, k: int = 3,
                 scale: str | None = None, seed: int = 0, max_cv: int = 6000, max_train: int = 12000,
                 **train_kw) -> tuple[SentimentModel, dict]:
    """Pick the model a report should use for these texts, and describe the choice.

    With at least ``min_n`` labelled texts including ``min_per_class`` positive and
    negative ones, a model is trained on the user's own labels and k-fold
    cross-validated; it is used when its cross-validated macro-F1 is at least the
    default model's on the same texts (the default never saw them).  Otherwise the
    default model is used.  Returns ``(model, info)``; ``info`` has ``model``
    ("own" / "default"), ``reason``, ``n``, ``n_by_class``, ``cv_accuracy`` (+ CI),
    ``cv_macro_f1``, ``cv_n``, ``n_train``, ``default_accuracy``, ``default_macro_f1``,
    ``seconds`` and a one-line ``text``.

    Speed (a few seconds for 3k texts, docs/evaluation.md): ``k`` = 3 folds, features
    hashed once for all folds, liblinear for two classes.  Size rule: cross-validation
    runs on a stratified random sample of at most ``max_cv`` texts (seeded; the
    comparison with the default model uses the same sample), and the final model is
    fit on at most ``max_train`` texts (stratified sample); beyond ~6k texts the CV
    estimate and the fit gain little from more rows.  ``train_kw`` (``C``, ``bits``,
    ``chars``, ``nb``, ``solver``, ``tol`` ...) go to :func:`train` and
    :func:`cross_validate`."""
    import time

    t0 = time.perf_counter()
    t, y, _ = _clean_labelled(texts, labels, scale)
    counts = {c: int((y == c).sum()) for c in LABELS}
    info = {"n": int(len(y)), "n_by_class": counts, "cv_accuracy": None, "cv_accuracy_ci": None,
            "cv_macro_f1": None, "cv_n": None, "n_train": None, "default_accuracy": None,
            "default_macro_f1": None}
    base = default_model()
    enough = len(y) >= min_n and counts["positive"] >= min_per_class and counts["negative"] >= min_per_class
    if not enough:
        if len(y):
            d = evaluate(base, t, y, n_boot=0)
            info.update(default_accuracy=d.accuracy, default_macro_f1=d.macro_f1)
        info.update(model="default", reason=f"fewer than {min_n} labelled texts with at least "
                    f"{min_per_class} positive and negative ones (have {len(y)}: {counts})",
                    seconds=time.perf_counter() - t0)
        info["text"] = f"Default model ({base.describe()}); {info['reason']}."
        return base, info
    cv_idx = _stratified_cap(y, max_cv, seed)
    tc, yc = t.iloc[cv_idx], y.iloc[cv_idx]
    d = evaluate(base, tc, yc, n_boot=0)
    info.update(default_accuracy=d.accuracy, default_macro_f1=d.macro_f1)
    cv = cross_validate(tc, yc, k=k, seed=seed, n_boot=0, **dict(train_kw))  # Wilson CI only
    info.update(cv_accuracy=cv.accuracy, cv_accuracy_ci=cv.pooled.accuracy_ci,
                cv_macro_f1=cv.macro_f1, cv_n=int(len(yc)))
    on = f"{len(yc)} of your {len(y)}" if len(yc) < len(y) else f"your {len(y)}"
    if cv.macro_f1 >= (info["default_macro_f1"] or 0):
        fit_idx = _stratified_cap(y, max_train, seed)
        own = train(t.iloc[fit_idx], y.iloc[fit_idx],
                    **{"meta": {"description": f"trained on the user's {len(fit_idx)} rated texts"}, **train_kw})
        info.update(model="own", n_train=int(len(fit_idx)),
                    reason=f"{k}-fold cross-validated macro-F1 {cv.macro_f1:.2f} >= "
                    f"default model's {info['default_macro_f1']:.2f} on the same texts")
        info["text"] = (f"Model trained on your {len(fit_idx)} rated texts; {k}-fold cross-validated "
                        f"(on {on} texts) accuracy {cv.accuracy:.1%} (95% CI {cv.pooled.accuracy_ci[0]:.1%}-"
                        f"{cv.pooled.accuracy_ci[1]:.1%}), macro-F1 {cv.macro_f1:.2f}.")
        info["seconds"] = time.perf_counter() - t0
        return own, info
    info.update(model="default", reason=f"own model's cross-validated macro-F1 {cv.macro_f1:.2f} "
                f"< default model's {info['default_macro_f1']:.2f}", seconds=time.perf_counter() - t0)
    info["text"] = (f"Default model ({base.describe()}): accuracy {info['default_accuracy']:.1%} on "
                    f"{on} rated texts, better than a model trained on them "
                    f"({k}-fold CV accuracy {cv.accuracy:.1%}).")
    return base, info

"""How well the extractor reads contracts: precision and recall against labelled material.

Run ``make eval-extraction`` (or ``python -m milepost.extraction.evaluation [--conformance DIR]
[--labels DIR] [--json] [--misses]``). Plain Python, no Django: it runs the kernel's ``extract``
over five corpora and prints, for each, precision and recall per kind and per field, the
counts behind them (tp/fp/fn), and the count of invented amounts.

Corpora
-------
- **Accord**: each Accord template sample (``accord/*/text/sample*.md``) with its
  ``expected-clause-data.<sample>.derived.json``. Our ``accord.json`` says only *which* proposal,
  damages entry or fact each template variable feeds (``"number:penaltyPercentage"``); the
  values themselves are read from the derived JSON when the evaluation runs.
- **CUAD expert**: the CUAD experts' labels (``cuad/*.cuad-labels.json``): Parties against the
  extractor's parties, Agreement/Effective Date against ``contract_date``, Expiration Date
  against the contract date plus ``term``, Governing Law against ``calendar``, and each
  Liquidated Damages quote against a damages entry citing it (its rate must stay blank:
  these quotes are "$[***]").
- **CUAD milestones (ours)**: our own milestone labels for the five CUAD texts
  (``cuad_milestones.json``).
- **FAR**: the two FAR liquidated-damages templates: one damages entry each, blank, rate None.
- **Own clauses**: our labelled clauses (``clauses.json``), each extracted on its own.

Matching
--------
A label carries a span: its ``anchor`` (a quote found exactly once in the text) or, without
one, the whole text. A predicted proposal may match a label of the same kind (a label may
accept several kinds) whose span overlaps the prediction's citation. Candidate pairs are
taken greedily, best first: a right title, then more right fields, then the larger overlap;
each prediction and each label is used once. Damages entries are matched the same way.
- kind: a matched pair is a true positive; an unmatched prediction a false positive (unless it
  overlaps an *optional* label of its kind: things a reader might or might not track, such as
  a conditional payment, which count neither way); an unmatched required label a false
  negative.
- title: right when every ``title_words`` word appears in the predicted title (lower case,
  digits without thousands separators, light stemming of plurals and -ing/-ed; a label word
  is a prefix of a title word, "respon" for "response"; "a|b" accepts either).
- fields (due, relative, recurring, percent, amount, currency, target, unit, direction,
  ambiguous (the fields flagged as open to doubt: scored only on labels that state it, since
  flagging a date whose order came from the document's locale is a fair hint); for
  damages rate, per, currency, cap, cap_percent, rate_percent, per_days, blank): precision =
  right / (matched predictions with the field set + unmatched predictions with it set);
  recall = right / labels stating the field. A field a label does not state must be empty:
  a predicted value there counts against precision. ``ignore`` on a label leaves a field out
  for that label. A relative date is right when offset and unit agree (n weeks = 7n calendar
  days) and every anchor word appears in the predicted anchor.
- facts: right / predicted (where labelled) and right / labelled, per fact name.
- invented amounts: a predicted amount, damages rate or cap that no number in the text states
  (the number itself, or in thousands/millions for "2.5 million"); on the FAR templates, whose
  amounts are all blanks, any non-empty rate, amount, cap or percentage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

PROPOSAL_FIELDS: tuple[str, ...] = (
    "due",
    "relative",
    "recurring",
    "percent",
    "amount",
    "currency",
    "target",
    "unit",
    "direction",
    # The fields the text leaves open to doubt (["due"] for 04/02/2027 with nothing to decide).
    "ambiguous",
)
DAMAGES_FIELDS: tuple[str, ...] = (
    "rate",
    "per",
    "currency",
    "cap",
    "cap_percent",
    "rate_percent",
    "per_days",
    "blank",
)
KINDS: tuple[str, ...] = ("deliverable", "payment", "performance", "gate", "damages")
CORPORA: tuple[str, ...] = ("accord", "cuad_expert", "cuad_milestones", "far", "clauses")
CORPUS_NAMES = {
    "accord": "Accord templates",
    "cuad_expert": "CUAD expert labels",
    "cuad_milestones": "CUAD milestones (ours)",
    "far": "FAR clauses",
    "clauses": "Own clauses",
}

Extractor = Callable[[str], dict[str, Any]]


# --------------------------------------------------------------------------- scores


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    def to_json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
        }


@dataclass
class FieldScore:
    right: int = 0
    predicted: int = 0
    labelled: int = 0

    @property
    def precision(self) -> float | None:
        return _ratio(self.right, self.predicted)

    @property
    def recall(self) -> float | None:
        return _ratio(self.right, self.labelled)

    def to_json(self) -> dict[str, Any]:
        return {
            "right": self.right,
            "predicted": self.predicted,
            "labelled": self.labelled,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
        }


@dataclass
class CorpusReport:
    name: str
    documents: int = 0
    kinds: dict[str, Counts] = field(default_factory=dict)
    fields: dict[str, FieldScore] = field(default_factory=dict)
    invented: int = 0
    misses: list[str] = field(default_factory=list)

    def kind(self, name: str) -> Counts:
        return self.kinds.setdefault(name, Counts())

    def field(self, name: str) -> FieldScore:
        return self.fields.setdefault(name, FieldScore())

    @property
    def all_kinds(self) -> Counts:
        total = Counts()
        for counts in self.kinds.values():
            total.tp += counts.tp
            total.fp += counts.fp
            total.fn += counts.fn
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "name": CORPUS_NAMES.get(self.name, self.name),
            "documents": self.documents,
            "kinds": {k: v.to_json() for k, v in sorted(self.kinds.items())},
            "all_kinds": self.all_kinds.to_json(),
            "fields": {k: v.to_json() for k, v in sorted(self.fields.items())},
            "invented": self.invented,
            "misses": list(self.misses),
        }


@dataclass
class Report:
    corpora: dict[str, CorpusReport] = field(default_factory=dict)

    def corpus(self, name: str) -> CorpusReport:
        return self.corpora.setdefault(name, CorpusReport(name))

    def to_json(self) -> dict[str, Any]:
        return {name: report.to_json() for name, report in self.corpora.items()}

    def format(self, misses: bool = False) -> str:
        lines: list[str] = []
        for name in CORPORA:
            if name not in self.corpora:
                continue
            corpus = self.corpora[name]
            lines.append(
                f"== {CORPUS_NAMES[name]} ({corpus.documents} documents) "
                f"— invented amounts: {corpus.invented}"
            )
            lines.append(f"  {'':28} {'prec':>6} {'recall':>6}   counts")
            rows = sorted(corpus.kinds.items())
            if rows:
                rows.append(("all kinds", corpus.all_kinds))
            for kind, counts in rows:
                label = f"kind {kind}"
                lines.append(
                    f"  {label:28} {_pct(counts.precision):>6} {_pct(counts.recall):>6}   "
                    f"tp {counts.tp} fp {counts.fp} fn {counts.fn}"
                )
            for fname, score in sorted(corpus.fields.items(), key=lambda kv: _field_order(kv[0])):
                if not (score.predicted or score.labelled):
                    continue
                lines.append(
                    f"  {fname:28} {_pct(score.precision):>6} {_pct(score.recall):>6}   "
                    f"right {score.right} predicted {score.predicted} labelled {score.labelled}"
                )
            if misses:
                lines.extend(f"    - {miss}" for miss in corpus.misses)
            lines.append("")
        return "\n".join(lines)


def _field_order(name: str) -> tuple[int, str]:
    order = ["title", *PROPOSAL_FIELDS]
    if name in order:
        return (0, f"{order.index(name):02d}")
    if name.startswith("damages."):
        return (1, name)
    return (2, name)


def _ratio(right: int, total: int) -> float | None:
    return None if total == 0 else right / total


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# --------------------------------------------------------------------------- labels


@dataclass
class Expected:
    """One expected proposal or damages entry, with the span of text it comes from."""

    kinds: tuple[str, ...]
    start: int
    end: int
    values: dict[str, Any]
    title_words: tuple[str, ...] = ()
    optional: bool = False
    ignore: frozenset[str] = frozenset()
    name: str = ""

    @property
    def kind(self) -> str:
        return self.kinds[0]


class LabelError(ValueError):
    """A label that cannot be used: its anchor is missing from its text or not unique."""


def locate(text: str, anchor: str | None, what: str) -> tuple[int, int]:
    """The span of ``anchor`` in ``text`` (exactly one occurrence), or the whole text."""
    if not anchor:
        return 0, len(text)
    first = text.find(anchor)
    if first < 0:
        raise LabelError(f"{what}: anchor {anchor!r} is not in the text")
    if text.find(anchor, first + 1) >= 0:
        raise LabelError(f"{what}: anchor {anchor!r} occurs more than once")
    return first, first + len(anchor)


def expected_from_label(text: str, item: dict[str, Any], what: str, damages: bool) -> Expected:
    start, end = locate(text, item.get("anchor"), what)
    kinds: tuple[str, ...]
    if damages:
        kinds = ("damages",)
    else:
        kind = item["kind"]
        kinds = tuple(kind) if isinstance(kind, list) else (kind,)
    keys = DAMAGES_FIELDS if damages else PROPOSAL_FIELDS
    values = {k: item[k] for k in keys if k in item}
    return Expected(
        kinds=kinds,
        start=start,
        end=end,
        values=values,
        title_words=tuple(item.get("title_words", ())),
        optional=bool(item.get("optional", False)),
        ignore=frozenset(item.get("ignore", ())),
        name=item.get("note", "") or text[start:end][:60],
    )


# --------------------------------------------------------------------------- comparison

_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(token: str) -> str:
    if token.isalpha() and len(token) > 4:
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                return token[: -len(suffix)]
    return token


def _number_token(token: str) -> str:
    if "." in token:
        token = token.rstrip("0").rstrip(".")
    return token


def tokens(text: str | None) -> set[str]:
    """Lower-case words of ``text``: numbers without thousands separators, lightly stemmed."""
    if not text:
        return set()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    found = re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text)
    return {_stem(_number_token(t)) if t[0].isdigit() else _stem(t) for t in found}


def _words_in(word: str, have: set[str]) -> bool:
    """One title word (or phrase); "a|b" accepts either alternative."""
    return any(all(_word_in(w, have) for w in tokens(option)) for option in word.split("|"))


def _word_in(word: str, have: set[str]) -> bool:
    if word[0].isdigit():
        return word in have
    return any(token.startswith(word) for token in have)


def title_right(title: str | None, words: Iterable[str]) -> bool:
    """Every token of every title word in the title: numbers exactly, words as prefixes of a
    title word ("respon" matches "response" and "respond")."""
    have = tokens(title)
    return all(_words_in(word, have) for word in words)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None


_UNIT_DAYS = {"calendar": 1, "weeks": 7}


def _relative_right(predicted: Any, label: Any) -> bool:
    if not isinstance(predicted, dict) or not isinstance(label, dict):
        return False
    p_offset, l_offset = predicted.get("offset"), label.get("offset")
    p_unit, l_unit = predicted.get("unit"), label.get("unit")
    if p_unit == l_unit:
        same = p_offset == l_offset
    elif p_unit in _UNIT_DAYS and l_unit in _UNIT_DAYS:
        same = (p_offset or 0) * _UNIT_DAYS[p_unit] == (l_offset or 0) * _UNIT_DAYS[l_unit]
    else:
        same = False
    return same and tokens(" ".join(label.get("anchor_words", []))) <= tokens(
        predicted.get("anchor")
    )


def _unit_key(value: Any) -> str:
    text = str(value).strip().lower()
    text = re.sub(r"^(business|working) ", "working ", text)
    text = {"percent": "%", "per cent": "%", "percentage": "%"}.get(text, text)
    return " ".join(_singular(word) for word in text.split())


def _singular(word: str) -> str:
    """ "days" → "day", "hours" → "hour": units compare in the singular."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def value_right(name: str, predicted: Any, label: Any) -> bool:
    """Whether a predicted field value says what the label says."""
    if label is None or label == []:
        return not predicted
    if name == "relative":
        return _relative_right(predicted, label)
    if name == "ambiguous":
        return bool(label) and set(label) <= set(predicted or ())
    if name in ("percent", "amount", "target", "rate", "cap", "cap_percent", "rate_percent"):
        p, l_ = _decimal(predicted), _decimal(label)
        return p is not None and l_ is not None and p == l_
    if name == "unit":
        return predicted is not None and _unit_key(predicted) == _unit_key(label)
    if name in ("currency", "recurring", "direction", "per", "due"):
        return predicted is not None and str(predicted).lower() == str(label).lower()
    return bool(predicted == label)


# Scored only where a label speaks of them: flagging a date whose order the document decides
# (from its locale) is a fair hint to the reviewer, not a wrong value.
_FLAGS = frozenset({"ambiguous"})


def _is_set(name: str, value: Any) -> bool:
    if name == "blank":
        return value is True
    if name == "ambiguous":
        return bool(value)
    return value is not None


# --------------------------------------------------------------------------- scoring


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def _citation(item: dict[str, Any]) -> tuple[int, int]:
    citation = item.get("citation") or {}
    return int(citation.get("start", 0)), int(citation.get("end", 0))


def score_items(
    predicted: list[dict[str, Any]],
    expected: list[Expected],
    corpus: CorpusReport,
    *,
    damages: bool,
    doc: str,
) -> None:
    """Match one document's predictions to its labels and add the outcome to ``corpus``."""
    names = DAMAGES_FIELDS if damages else PROPOSAL_FIELDS
    prefix = "damages." if damages else ""

    def kind_of(item: dict[str, Any]) -> str:
        return "damages" if damages else str(item.get("kind"))

    candidates: list[tuple[tuple[int, int, int], int, int]] = []
    for pi, pred in enumerate(predicted):
        p_start, p_end = _citation(pred)
        for li, label in enumerate(expected):
            if kind_of(pred) not in label.kinds:
                continue
            overlap = _overlap(p_start, p_end, label.start, label.end)
            if overlap <= 0 and not (p_start == p_end and label.start <= p_start <= label.end):
                continue
            good_title = 0 if damages else int(title_right(pred.get("title"), label.title_words))
            good_fields = sum(
                1
                for n in names
                if n in label.values
                and n not in label.ignore
                and value_right(n, pred.get(n), label.values[n])
            )
            candidates.append(((good_title, good_fields, overlap), pi, li))
    candidates.sort(key=lambda c: c[0], reverse=True)
    pairs: dict[int, int] = {}
    used_labels: set[int] = set()
    for _, pi, li in candidates:
        if pi in pairs or li in used_labels:
            continue
        pairs[pi] = li
        used_labels.add(li)

    for pi, pred in enumerate(predicted):
        kind = kind_of(pred)
        quote = str((pred.get("citation") or {}).get("quote", ""))[:70]
        if pi in pairs:
            label = expected[pairs[pi]]
            if label.optional:
                continue
            corpus.kind(label.kind).tp += 1
            if not damages:
                score = corpus.field("title")
                score.predicted += 1
                score.labelled += 1
                if title_right(pred.get("title"), label.title_words):
                    score.right += 1
                else:
                    corpus.misses.append(
                        f"{doc}: title {pred.get('title')!r} lacks {list(label.title_words)}"
                    )
            for n in names:
                if n in label.ignore or (n in _FLAGS and n not in label.values):
                    continue
                score = corpus.field(prefix + n)
                p_value, l_value = pred.get(n), label.values.get(n)
                if _is_set(n, p_value):
                    score.predicted += 1
                if _is_set(n, l_value):
                    score.labelled += 1
                    if value_right(n, p_value, l_value):
                        score.right += 1
                    else:
                        corpus.misses.append(
                            f"{doc}: {kind} {label.name!r} {prefix}{n} = {p_value!r}, "
                            f"labelled {l_value!r}"
                        )
                elif _is_set(n, p_value):
                    corpus.misses.append(
                        f"{doc}: {kind} {label.name!r} {prefix}{n} = {p_value!r}, "
                        f"the text states none"
                    )
            continue
        p_start, p_end = _citation(pred)
        if any(
            label.optional
            and kind in label.kinds
            and _overlap(p_start, p_end, label.start, label.end) > 0
            for label in expected
        ):
            continue
        corpus.kind(kind).fp += 1
        corpus.misses.append(f"{doc}: extra {kind} {pred.get('title', '')!r} from {quote!r}")
        if not damages:
            corpus.field("title").predicted += 1
        for n in names:
            if n not in _FLAGS and _is_set(n, pred.get(n)):
                corpus.field(prefix + n).predicted += 1

    for li, label in enumerate(expected):
        if li in used_labels or label.optional:
            continue
        corpus.kind(label.kind).fn += 1
        corpus.misses.append(f"{doc}: missed {label.kind} {label.name!r}")
        if not damages:
            corpus.field("title").labelled += 1
        for n in names:
            if n not in label.ignore and _is_set(n, label.values.get(n)):
                corpus.field(prefix + n).labelled += 1


def score_facts(
    predicted: dict[str, Any], expected: dict[str, Any], corpus: CorpusReport, doc: str
) -> None:
    """Facts the label states, each right or wrong; facts the label does not state are not
    scored (the CUAD labels, for one, only list what the experts marked)."""
    for name, label in expected.items():
        score = corpus.field(f"fact.{name}")
        score.labelled += 1
        fact = predicted.get(name)
        value = fact.get("value") if isinstance(fact, dict) else None
        if value is None:
            corpus.misses.append(f"{doc}: fact {name} missing, labelled {label!r}")
            continue
        score.predicted += 1
        if fact_right(name, value, label):
            score.right += 1
        else:
            corpus.misses.append(f"{doc}: fact {name} = {value!r}, labelled {label!r}")


def fact_right(name: str, value: Any, label: Any) -> bool:
    if name == "term":
        months = value.get("months") if isinstance(value, dict) else None
        return months is not None and int(months) == int(label)
    if name in ("contract_sum", "retention_percent", "payment_days"):
        p, l_ = _decimal(value), _decimal(label)
        return p is not None and p == l_
    return str(value).strip().lower() == str(label).strip().lower()


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[Decimal]:
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        value = _decimal(match.group().rstrip(",."))
        if value is not None:
            found.add(value)
    return found


def count_invented(predicted: dict[str, Any], text: str, *, all_blank: bool = False) -> int:
    """Amounts, rates and caps that no number in ``text`` states."""
    values: list[Any] = []
    for proposal in predicted.get("proposals", []):
        values.append(proposal.get("amount"))
        if all_blank:
            values.append(proposal.get("percent"))
    for damages in predicted.get("damages", []):
        values.extend([damages.get("rate"), damages.get("cap")])
        if all_blank:
            values.extend([damages.get("cap_percent"), damages.get("rate_percent")])
    values = [v for v in values if v is not None]
    if all_blank:
        return len(values)
    stated = numbers_in(text)
    invented = 0
    for value in values:
        number = _decimal(value)
        if number is None:
            invented += 1
            continue
        scales = (Decimal(1), Decimal(1000), Decimal(1_000_000), Decimal(1_000_000_000))
        if not any(number / scale in stated for scale in scales):
            invented += 1
    return invented


def score_document(
    text: str,
    predicted: dict[str, Any],
    proposals: list[Expected],
    damages: list[Expected],
    corpus: CorpusReport,
    doc: str,
    facts: dict[str, Any] | None = None,
    *,
    all_blank: bool = False,
) -> None:
    corpus.documents += 1
    score_items(predicted.get("proposals", []), proposals, corpus, damages=False, doc=doc)
    score_items(predicted.get("damages", []), damages, corpus, damages=True, doc=doc)
    if facts:
        score_facts(predicted.get("facts", {}), facts, corpus, doc)
    invented = count_invented(predicted, text, all_blank=all_blank)
    if invented:
        corpus.misses.append(f"{doc}: {invented} invented amount(s)")
    corpus.invented += invented


# --------------------------------------------------------------------------- corpora


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _labelled(text: str, expected: dict[str, Any], what: str) -> tuple[list[Expected], ...]:
    proposals = [
        expected_from_label(text, item, f"{what} proposal {i}", damages=False)
        for i, item in enumerate(expected.get("proposals", []))
    ]
    damages = [
        expected_from_label(text, item, f"{what} damages {i}", damages=True)
        for i, item in enumerate(expected.get("damages", []))
    ]
    return proposals, damages


def evaluate_clauses(labels_dir: Path, extractor: Extractor, report: Report) -> None:
    corpus = report.corpus("clauses")
    data = json.loads(_read(labels_dir / "clauses.json"))
    for item in data["clauses"]:
        text = item["text"]
        proposals, damages = _labelled(text, item["expected"], item["id"])
        score_document(
            text,
            extractor(text),
            proposals,
            damages,
            corpus,
            item["id"],
            item["expected"].get("facts"),
        )


def evaluate_cuad_milestones(
    contracts: Path, labels_dir: Path, extractor: Extractor, report: Report
) -> None:
    corpus = report.corpus("cuad_milestones")
    data = json.loads(_read(labels_dir / "cuad_milestones.json"))
    for name, expected in data["documents"].items():
        text = _read(contracts / "cuad" / f"{name}.txt")
        proposals, damages = _labelled(text, expected, name)
        score_document(
            text, extractor(text), proposals, damages, corpus, name, expected.get("facts")
        )


def evaluate_far(contracts: Path, extractor: Extractor, report: Report) -> None:
    corpus = report.corpus("far")
    for path in sorted((contracts / "far").glob("*.txt")):
        text = _read(path)
        # Both templates say "per calendar day" ("for each calendar day" in 52.211-12); a
        # dollar sign before the blank states the currency.
        values: dict[str, Any] = {"rate": None, "cap": None, "blank": True, "per": "day"}
        if re.search(r"\$_+", text):
            values["currency"] = "USD"
        expected = [
            Expected(kinds=("damages",), start=0, end=len(text), values=values, name=path.stem)
        ]
        score_document(text, extractor(text), [], expected, corpus, path.stem, all_blank=True)


_US_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia",
    "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms",
    "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny",
    "north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok",
    "oregon": "or", "pennsylvania": "pa", "rhode island": "ri", "south carolina": "sc",
    "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt",
    "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi",
    "wyoming": "wy",
}  # fmt: skip

_CORPORATE = {
    "inc", "incorporated", "llc", "ltd", "limited", "sa", "sas", "s", "a", "corp",
    "corporation", "co", "plc", "the", "company",
}  # fmt: skip


def _us_state(text: str) -> str | None:
    lowered = text.lower()
    for state in sorted(_US_STATES, key=len, reverse=True):
        if re.search(rf"\b{state}\b", lowered):
            return f"us-{_US_STATES[state]}"
    return None


def _mdy_short(value: str) -> str | None:
    match = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{2,4})\s*", value)
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    year += 2000 if year < 100 else 0
    return dt.date(year, month, day).isoformat()


def _party_key(name: str) -> frozenset[str]:
    return frozenset(t for t in re.findall(r"[a-z0-9]+", name.lower()) if t not in _CORPORATE)


def _parties_from_answer(answer: str) -> list[str]:
    names = []
    for part in answer.split(";"):
        name = part.split("(")[0].strip().strip(",")
        if name:
            names.append(name)
    return names


def _months_between(start: dt.date, end: dt.date) -> int | None:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if end.day == start.day else None


def evaluate_cuad_expert(contracts: Path, extractor: Extractor, report: Report) -> None:
    corpus = report.corpus("cuad_expert")
    for path in sorted((contracts / "cuad").glob("*.cuad-labels.json")):
        name = path.name.removesuffix(".cuad-labels.json")
        text = _read(contracts / "cuad" / f"{name}.txt")
        row = json.loads(_read(path))["master_clauses_row_nonempty"]
        predicted = extractor(text)
        corpus.documents += 1
        facts = predicted.get("facts", {})

        # Parties: each expert name found among the extractor's parties, and back.
        if row.get("Parties-Answer"):
            wanted = [_party_key(n) for n in _parties_from_answer(row["Parties-Answer"])]
            got = [_party_key(p.get("name", "")) for p in predicted.get("parties", [])]
            score = corpus.field("parties")
            score.labelled += len(wanted)

            def same(a: frozenset[str], b: frozenset[str]) -> bool:
                return bool(a) and bool(b) and (a <= b or b <= a)

            found = [w for w in wanted if any(same(w, g) for g in got)]
            extras = [g for g in got if not any(same(w, g) for w in wanted)]
            # Precision counts each found expert name once and every extra party against it.
            score.right += len(found)
            score.predicted += len(found) + len(extras)
            for w in wanted:
                if w not in found:
                    corpus.misses.append(f"{name}: party {sorted(w)} not found")
            for g in extras:
                corpus.misses.append(f"{name}: extra party {sorted(g)}")

        dates: set[str] = set()
        for key in ("Agreement Date-Answer", "Effective Date-Answer"):
            expert = _mdy_short(row.get(key, "") or "")
            if expert:
                dates.add(expert)
        contract_date = (facts.get("contract_date") or {}).get("value")
        if dates:
            score = corpus.field("fact.contract_date")
            score.labelled += 1
            if contract_date:
                score.predicted += 1
                if contract_date in dates:
                    score.right += 1
                else:
                    corpus.misses.append(
                        f"{name}: contract_date {contract_date}, experts {sorted(dates)}"
                    )
            else:
                corpus.misses.append(f"{name}: contract_date missing, experts {sorted(dates)}")

        expiry = _mdy_short(row.get("Expiration Date-Answer", "") or "")
        effective = _mdy_short(row.get("Effective Date-Answer", "") or "")
        if expiry and effective:
            months = _months_between(
                dt.date.fromisoformat(effective), dt.date.fromisoformat(expiry)
            )
            if months is not None:
                score_facts(facts, {"term": months}, corpus, name)

        law = row.get("Governing Law-Answer") or " ".join(_as_list(row.get("Governing Law")))
        state = _us_state(law) if law else None
        if state:
            score_facts(facts, {"calendar": state}, corpus, name)

        damages_labels = []
        for quote in _as_list(row.get("Liquidated Damages")):
            start = text.find(quote)
            if start < 0:
                continue
            damages_labels.append(
                Expected(
                    kinds=("damages",),
                    start=start,
                    end=start + len(quote),
                    values={"rate": None, "blank": True},
                    # The experts mark the clause, not its unit or currency.
                    ignore=frozenset(DAMAGES_FIELDS) - {"rate", "blank"},
                    name=quote[:60],
                )
            )
        score_items(predicted.get("damages", []), damages_labels, corpus, damages=True, doc=name)
        invented = count_invented(predicted, text)
        corpus.invented += invented
        if invented:
            corpus.misses.append(f"{name}: {invented} invented amount(s)")


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        try:
            import ast

            parsed = ast.literal_eval(text)
            return [str(v) for v in parsed]
        except (ValueError, SyntaxError):
            return [text]
    return [text]


# Accord: values read from the derived JSON through the mapping's "reader:variable" strings.
_READERS: dict[str, Callable[[str], Any]] = {}


def _reader(name: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    def register(func: Callable[[str], Any]) -> Callable[[str], Any]:
        _READERS[name] = func
        return func

    return register


@_reader("number")
def _read_number(raw: str) -> Any:
    value = _decimal(re.sub(r"[^\d.,]", "", raw))
    return None if value is None else float(value) if value % 1 else int(value)


@_reader("int")
def _read_int(raw: str) -> Any:
    return int(re.sub(r"[^\d]", "", raw))


@_reader("neg_int")
def _read_neg_int(raw: str) -> Any:
    return -int(re.sub(r"[^\d]", "", raw))


@_reader("days")
def _read_days(raw: str) -> Any:
    match = re.fullmatch(r"\s*(\d+)\s*(day|days|week|weeks)\s*", raw)
    if not match:
        raise LabelError(f"not a duration: {raw!r}")
    return int(match.group(1)) * (7 if match.group(2).startswith("week") else 1)


@_reader("amount")
def _read_amount(raw: str) -> Any:
    match = re.search(r"\d[\d,]*(?:\.\d+)?", raw)
    if not match:
        raise LabelError(f"no amount in {raw!r}")
    return str(_decimal(match.group()))


@_reader("currency")
def _read_currency(raw: str) -> Any:
    match = re.search(r"\b[A-Z]{3}\b", raw)
    if match:
        return match.group()
    for symbol, code in (("£", "GBP"), ("$", "USD"), ("€", "EUR")):
        if symbol in raw:
            return code
    raise LabelError(f"no currency in {raw!r}")


@_reader("date_mdy")
def _read_date_mdy(raw: str) -> Any:
    month, day, year = (int(p) for p in raw.strip().split("/"))
    return dt.date(year, month, day).isoformat()


@_reader("date_dmy")
def _read_date_dmy(raw: str) -> Any:
    day, month, year = (int(p) for p in raw.strip().split("/"))
    return dt.date(year, month, day).isoformat()


@_reader("years_to_months")
def _read_years(raw: str) -> Any:
    return int(raw.strip()) * 12


@_reader("us_state")
def _read_state(raw: str) -> Any:
    code = raw.strip().lower()
    return f"us-{code}" if len(code) == 2 else _us_state(code)


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """A mapping value with every "reader:variable" replaced by the variable's value."""
    if isinstance(value, dict):
        return {k: resolve(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if isinstance(value, str):
        match = re.fullmatch(r"([a-z_]+):([A-Za-z0-9_]+)", value)
        if match and match.group(1) in _READERS:
            if match.group(2) not in variables:
                raise LabelError(f"no variable {match.group(2)!r}")
            return _READERS[match.group(1)](str(variables[match.group(2)]))
    return value


def accord_samples(contracts: Path) -> list[tuple[str, Path, Path]]:
    """(template, sample text, derived expected data) for every Accord sample with data."""
    found = []
    for folder in sorted((contracts / "accord").iterdir()):
        if not folder.is_dir():
            continue
        for sample in sorted((folder / "text").glob("sample*.md")):
            data = folder / f"expected-clause-data.{sample.stem}.derived.json"
            if data.exists():
                found.append((folder.name, sample, data))
    return found


def evaluate_accord(
    contracts: Path, labels_dir: Path, extractor: Extractor, report: Report
) -> None:
    corpus = report.corpus("accord")
    mapping = json.loads(_read(labels_dir / "accord.json"))["templates"]
    for template, sample, data in accord_samples(contracts):
        if template not in mapping:
            raise LabelError(f"accord.json has no mapping for the template {template!r}")
        text = _read(sample)
        variables = json.loads(_read(data))["variables"]
        expected = resolve(mapping[template], variables)
        proposals, damages = _labelled(text, expected, f"{template}/{sample.name}")
        score_document(
            text,
            extractor(text),
            proposals,
            damages,
            corpus,
            f"{template}/{sample.name}",
            expected.get("facts"),
        )


# --------------------------------------------------------------------------- entry points


def kernel_extractor() -> Extractor:
    from milepost.extraction.kernel import extract

    def run(text: str) -> dict[str, Any]:
        return extract(text).to_json()

    return run


def evaluate(conformance_dir: Path, labels_dir: Path, extractor: Extractor | None = None) -> Report:
    """Run the extractor over every corpus. ``conformance_dir`` is the shared conformance
    folder (its ``contracts`` sub-folder holds the texts); ``labels_dir`` holds our labels."""
    run = extractor or kernel_extractor()
    contracts = conformance_dir / "contracts"
    if not contracts.is_dir():
        contracts = conformance_dir
    report = Report()
    evaluate_accord(contracts, labels_dir, run, report)
    evaluate_cuad_expert(contracts, run, report)
    evaluate_cuad_milestones(contracts, labels_dir, run, report)
    evaluate_far(contracts, run, report)
    evaluate_clauses(labels_dir, run, report)
    return report


def _repo() -> Path:
    return Path(__file__).resolve().parents[2]


def default_conformance() -> Path:
    default = _repo().parent / "shared" / "conformance"
    return Path(os.environ.get("MILEPOST_CONFORMANCE_DIR", default))


def default_labels() -> Path:
    return _repo() / "tests" / "data" / "extraction"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m milepost.extraction.evaluation",
        description="Precision and recall of the contract reader against labelled material.",
    )
    parser.add_argument("--conformance", type=Path, default=None, help="conformance folder")
    parser.add_argument("--labels", type=Path, default=None, help="our labels folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list every miss and extra")
    args = parser.parse_args(argv)
    conformance = args.conformance or default_conformance()
    labels = args.labels or default_labels()
    if not conformance.is_dir():
        print(
            f"The conformance folder {conformance} is absent (set MILEPOST_CONFORMANCE_DIR "
            "or pass --conformance).",
            file=sys.stderr,
        )
        return 2
    report = evaluate(conformance, labels)
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print(report.format(misses=args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

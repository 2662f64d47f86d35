"""The contract reader measured against labelled material (milepost/extraction/evaluation.py).

The figures must not fall below the floors: set just under what the extractor reaches. To
raise them after improving the extractor, run ``make eval-extraction`` (``--json`` for exact
figures), and put each figure less a small margin (about 0.02) in FLOORS. Never lower one to
make a change pass without saying why in the commit message.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from milepost.extraction import evaluation
from milepost.extraction.evaluation import (
    CorpusReport,
    Expected,
    LabelError,
    Report,
    accord_samples,
    locate,
    resolve,
    score_document,
    title_right,
)

LABELS = Path(__file__).parent / "data" / "extraction"

# (corpus, "kind.<kind>" | "field.<field>", "precision" | "recall") -> floor.
FLOORS: dict[tuple[str, str, str], float] = {
    ("accord", "kind.all", "precision"): 0.98,
    ("accord", "kind.all", "recall"): 0.98,
    ("accord", "kind.damages", "precision"): 0.98,
    ("accord", "kind.damages", "recall"): 0.98,
    ("accord", "kind.deliverable", "precision"): 0.98,
    ("accord", "kind.deliverable", "recall"): 0.98,
    ("accord", "kind.payment", "precision"): 0.98,
    ("accord", "kind.payment", "recall"): 0.98,
    ("accord", "kind.performance", "precision"): 0.98,
    ("accord", "kind.performance", "recall"): 0.98,
    ("accord", "field.amount", "precision"): 0.98,
    ("accord", "field.amount", "recall"): 0.98,
    ("accord", "field.currency", "precision"): 0.98,
    ("accord", "field.currency", "recall"): 0.98,
    ("accord", "field.damages.cap_percent", "precision"): 0.98,
    ("accord", "field.damages.cap_percent", "recall"): 0.98,
    ("accord", "field.damages.rate_percent", "precision"): 0.98,
    ("accord", "field.damages.rate_percent", "recall"): 0.98,
    ("accord", "field.direction", "precision"): 0.98,
    ("accord", "field.direction", "recall"): 0.98,
    ("accord", "field.due", "precision"): 0.98,
    ("accord", "field.due", "recall"): 0.98,
    ("accord", "field.fact.calendar", "precision"): 0.98,
    ("accord", "field.fact.calendar", "recall"): 0.98,
    ("accord", "field.fact.contract_date", "precision"): 0.98,
    ("accord", "field.fact.contract_date", "recall"): 0.98,
    ("accord", "field.fact.contract_sum", "precision"): 0.98,
    ("accord", "field.fact.contract_sum", "recall"): 0.98,
    ("accord", "field.fact.payment_days", "precision"): 0.98,
    ("accord", "field.fact.payment_days", "recall"): 0.98,
    ("accord", "field.fact.term", "precision"): 0.98,
    ("accord", "field.fact.term", "recall"): 0.98,
    ("accord", "field.recurring", "precision"): 0.98,
    ("accord", "field.recurring", "recall"): 0.98,
    ("accord", "field.relative", "precision"): 0.98,
    ("accord", "field.relative", "recall"): 0.98,
    ("accord", "field.target", "precision"): 0.98,
    ("accord", "field.target", "recall"): 0.98,
    ("accord", "field.title", "precision"): 0.98,
    ("accord", "field.title", "recall"): 0.98,
    ("accord", "field.unit", "precision"): 0.98,
    ("accord", "field.unit", "recall"): 0.98,
    ("cuad_expert", "kind.all", "precision"): 0.98,
    ("cuad_expert", "kind.all", "recall"): 0.98,
    ("cuad_expert", "kind.damages", "precision"): 0.98,
    ("cuad_expert", "kind.damages", "recall"): 0.98,
    ("cuad_expert", "field.damages.blank", "precision"): 0.98,
    ("cuad_expert", "field.damages.blank", "recall"): 0.98,
    ("cuad_expert", "field.fact.calendar", "precision"): 0.98,
    ("cuad_expert", "field.fact.calendar", "recall"): 0.98,
    ("cuad_expert", "field.fact.contract_date", "precision"): 0.98,
    ("cuad_expert", "field.fact.contract_date", "recall"): 0.98,
    ("cuad_expert", "field.fact.term", "precision"): 0.98,
    ("cuad_expert", "field.fact.term", "recall"): 0.98,
    ("cuad_expert", "field.parties", "precision"): 0.98,
    ("cuad_expert", "field.parties", "recall"): 0.78,
    ("cuad_milestones", "kind.all", "precision"): 0.96,
    ("cuad_milestones", "kind.all", "recall"): 0.94,
    ("cuad_milestones", "kind.damages", "precision"): 0.98,
    ("cuad_milestones", "kind.damages", "recall"): 0.98,
    ("cuad_milestones", "kind.deliverable", "precision"): 0.98,
    ("cuad_milestones", "kind.deliverable", "recall"): 0.90,
    ("cuad_milestones", "kind.payment", "precision"): 0.93,
    ("cuad_milestones", "kind.payment", "recall"): 0.98,
    ("cuad_milestones", "field.amount", "precision"): 0.92,
    ("cuad_milestones", "field.amount", "recall"): 0.98,
    ("cuad_milestones", "field.currency", "precision"): 0.93,
    ("cuad_milestones", "field.currency", "recall"): 0.98,
    ("cuad_milestones", "field.damages.blank", "precision"): 0.98,
    ("cuad_milestones", "field.damages.blank", "recall"): 0.98,
    ("cuad_milestones", "field.due", "precision"): 0.98,
    ("cuad_milestones", "field.due", "recall"): 0.86,
    ("cuad_milestones", "field.fact.calendar", "precision"): 0.98,
    ("cuad_milestones", "field.fact.calendar", "recall"): 0.98,
    ("cuad_milestones", "field.fact.contract_date", "precision"): 0.98,
    ("cuad_milestones", "field.fact.contract_date", "recall"): 0.98,
    ("cuad_milestones", "field.fact.contract_sum", "precision"): 0.98,
    ("cuad_milestones", "field.fact.contract_sum", "recall"): 0.98,
    ("cuad_milestones", "field.fact.payment_days", "precision"): 0.98,
    ("cuad_milestones", "field.fact.payment_days", "recall"): 0.98,
    ("cuad_milestones", "field.fact.term", "precision"): 0.98,
    ("cuad_milestones", "field.fact.term", "recall"): 0.98,
    ("cuad_milestones", "field.percent", "precision"): 0.98,
    ("cuad_milestones", "field.percent", "recall"): 0.98,
    ("cuad_milestones", "field.recurring", "precision"): 0.48,
    ("cuad_milestones", "field.recurring", "recall"): 0.98,
    ("cuad_milestones", "field.relative", "precision"): 0.98,
    ("cuad_milestones", "field.relative", "recall"): 0.90,
    ("cuad_milestones", "field.title", "precision"): 0.93,
    ("cuad_milestones", "field.title", "recall"): 0.91,
    ("far", "kind.all", "precision"): 0.98,
    ("far", "kind.all", "recall"): 0.98,
    ("far", "kind.damages", "precision"): 0.98,
    ("far", "kind.damages", "recall"): 0.98,
    ("far", "field.damages.blank", "precision"): 0.98,
    ("far", "field.damages.blank", "recall"): 0.98,
    ("far", "field.damages.per", "precision"): 0.98,
    ("far", "field.damages.per", "recall"): 0.98,
    ("clauses", "kind.all", "precision"): 0.98,
    ("clauses", "kind.all", "recall"): 0.98,
    ("clauses", "kind.damages", "precision"): 0.98,
    ("clauses", "kind.damages", "recall"): 0.98,
    ("clauses", "kind.deliverable", "precision"): 0.98,
    ("clauses", "kind.deliverable", "recall"): 0.98,
    ("clauses", "kind.gate", "precision"): 0.98,
    ("clauses", "kind.gate", "recall"): 0.98,
    ("clauses", "kind.payment", "precision"): 0.98,
    ("clauses", "kind.payment", "recall"): 0.98,
    ("clauses", "kind.performance", "precision"): 0.98,
    ("clauses", "kind.performance", "recall"): 0.98,
    ("clauses", "field.ambiguous", "precision"): 0.98,
    ("clauses", "field.ambiguous", "recall"): 0.98,
    ("clauses", "field.amount", "precision"): 0.98,
    ("clauses", "field.amount", "recall"): 0.98,
    ("clauses", "field.currency", "precision"): 0.98,
    ("clauses", "field.currency", "recall"): 0.98,
    ("clauses", "field.damages.blank", "precision"): 0.98,
    ("clauses", "field.damages.blank", "recall"): 0.98,
    ("clauses", "field.damages.cap", "precision"): 0.98,
    ("clauses", "field.damages.cap", "recall"): 0.98,
    ("clauses", "field.damages.cap_percent", "precision"): 0.98,
    ("clauses", "field.damages.cap_percent", "recall"): 0.98,
    ("clauses", "field.damages.per", "precision"): 0.98,
    ("clauses", "field.damages.per", "recall"): 0.98,
    ("clauses", "field.damages.rate", "precision"): 0.98,
    ("clauses", "field.damages.rate", "recall"): 0.98,
    ("clauses", "field.damages.rate_percent", "precision"): 0.98,
    ("clauses", "field.damages.rate_percent", "recall"): 0.98,
    ("clauses", "field.direction", "precision"): 0.98,
    ("clauses", "field.direction", "recall"): 0.98,
    ("clauses", "field.due", "precision"): 0.98,
    ("clauses", "field.due", "recall"): 0.98,
    ("clauses", "field.fact.calendar", "precision"): 0.98,
    ("clauses", "field.fact.calendar", "recall"): 0.98,
    ("clauses", "field.fact.contract_date", "precision"): 0.98,
    ("clauses", "field.fact.contract_date", "recall"): 0.98,
    ("clauses", "field.fact.contract_sum", "precision"): 0.98,
    ("clauses", "field.fact.contract_sum", "recall"): 0.98,
    ("clauses", "field.fact.payment_days", "precision"): 0.98,
    ("clauses", "field.fact.payment_days", "recall"): 0.98,
    ("clauses", "field.fact.term", "precision"): 0.98,
    ("clauses", "field.fact.term", "recall"): 0.98,
    ("clauses", "field.percent", "precision"): 0.98,
    ("clauses", "field.percent", "recall"): 0.98,
    ("clauses", "field.recurring", "precision"): 0.98,
    ("clauses", "field.recurring", "recall"): 0.98,
    ("clauses", "field.relative", "precision"): 0.98,
    ("clauses", "field.relative", "recall"): 0.98,
    ("clauses", "field.target", "precision"): 0.98,
    ("clauses", "field.target", "recall"): 0.98,
    ("clauses", "field.title", "precision"): 0.97,
    ("clauses", "field.title", "recall"): 0.97,
    ("clauses", "field.unit", "precision"): 0.98,
    ("clauses", "field.unit", "recall"): 0.98,
}


@pytest.fixture(scope="module")
def report(conformance: Path) -> Report:
    return evaluation.evaluate(conformance, LABELS)


def _figure(report: Report, corpus: str, metric: str, which: str) -> float | None:
    figures: CorpusReport = report.corpora[corpus]
    area, _, name = metric.partition(".")
    if area == "kind":
        counts = figures.all_kinds if name == "all" else figures.kinds.get(name)
        return None if counts is None else getattr(counts, which)
    score = figures.fields.get(name)
    return None if score is None else getattr(score, which)


def test_the_figures_stay_above_their_floors(report: Report) -> None:
    # given the extractor run over every corpus
    # then no figure falls below its floor
    below = []
    for (corpus, metric, which), floor in FLOORS.items():
        figure = _figure(report, corpus, metric, which)
        if figure is None or figure < floor:
            below.append(f"{corpus} {metric} {which}: {figure} < {floor}")
    assert below == []


def test_nothing_is_invented_from_the_far_blanks(report: Report) -> None:
    # given the FAR liquidated-damages templates, whose amounts are blanks
    # then the extractor reports their damages as blank and reads no number from them
    far = report.corpora["far"]
    assert far.documents == 2
    assert far.invented == 0
    assert far.kinds["damages"].tp == 2


def test_no_corpus_has_invented_amounts(report: Report) -> None:
    assert {name: corpus.invented for name, corpus in report.corpora.items()} == dict.fromkeys(
        report.corpora, 0
    )


# ---------------------------------------------------------------- the labels themselves


def _anchors(expected: dict[str, Any]) -> list[str | None]:
    return [item.get("anchor") for item in [*expected["proposals"], *expected["damages"]]]


def test_own_clauses_are_enough_and_every_anchor_is_found_once() -> None:
    data = json.loads((LABELS / "clauses.json").read_text(encoding="utf-8"))
    clauses = data["clauses"]
    assert len(clauses) >= 40
    assert len({c["id"] for c in clauses}) == len(clauses)
    assert {c["sector"] for c in clauses} == {"construction", "it", "consulting", "supply"}
    negatives = [c for c in clauses if not c["expected"]["proposals"] + c["expected"]["damages"]]
    assert len(negatives) >= 5
    for clause in clauses:
        for anchor in _anchors(clause["expected"]):
            if anchor is not None:
                assert clause["text"].count(anchor) == 1, (clause["id"], anchor)


def test_own_clause_labels_use_known_kinds_and_fields() -> None:
    data = json.loads((LABELS / "clauses.json").read_text(encoding="utf-8"))
    known = {"kind", "title_words", "anchor", "ignore", "optional", "note"}
    known |= set(evaluation.PROPOSAL_FIELDS)
    for clause in data["clauses"]:
        for item in clause["expected"]["proposals"]:
            kinds = item["kind"] if isinstance(item["kind"], list) else [item["kind"]]
            assert set(kinds) <= set(evaluation.KINDS) - {"damages"}, clause["id"]
            assert set(item) <= known, (clause["id"], set(item) - known)
            assert item["optional"] if not item["title_words"] else len(item["title_words"]) <= 4
        for item in clause["expected"]["damages"]:
            assert set(item) <= {"anchor", "note", *evaluation.DAMAGES_FIELDS}, clause["id"]
            if item.get("blank"):
                assert item.get("rate") is None, clause["id"]


def test_cuad_milestone_anchors_are_found_once_in_their_texts(conformance: Path) -> None:
    data = json.loads((LABELS / "cuad_milestones.json").read_text(encoding="utf-8"))
    cuad = conformance / "contracts" / "cuad"
    assert len(data["documents"]) == 5
    for name, expected in data["documents"].items():
        text = (cuad / f"{name}.txt").read_text(encoding="utf-8")
        for anchor in _anchors(expected):
            assert anchor and text.count(anchor) == 1, (name, anchor)


def test_every_accord_sample_has_a_mapping_whose_variables_exist(conformance: Path) -> None:
    mapping = json.loads((LABELS / "accord.json").read_text(encoding="utf-8"))["templates"]
    samples = accord_samples(conformance / "contracts")
    assert len(samples) >= 7
    for template, sample, data in samples:
        variables = json.loads(data.read_text(encoding="utf-8"))["variables"]
        expected = resolve(mapping[template], variables)
        text = sample.read_text(encoding="utf-8")
        for anchor in _anchors(expected):
            assert anchor and text.count(anchor) == 1, (template, sample.name, anchor)


# ---------------------------------------------------------------- the scorer


def _proposal(kind: str, title: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "title": title, "citation": {"start": start, "end": end}, **fields}


def test_the_scorer_counts_a_miss_a_false_positive_and_a_wrong_field() -> None:
    # given a text with two labelled milestones and a damages clause
    text = (
        "Practical Completion by 31 March 2027. "
        "Pay 30% within 14 days of completion of the foundations. "
        "Confidential Information stays confidential. "
        "Damages of £2,500 per week."
    )
    first = locate(text, "Practical Completion by 31 March 2027", "t")
    second = locate(text, "Pay 30% within 14 days", "t")
    damages_span = locate(text, "Damages of £2,500 per week", "t")
    confidential = locate(text, "Confidential Information", "t")
    labels = [
        Expected(("deliverable",), *first, {"due": "2027-03-31"}, ("practical completion",)),
        Expected(
            ("payment",),
            *second,
            {"percent": 30, "relative": {"anchor_words": ["foundation"], "offset": 14,
                                         "unit": "calendar"}},
            ("foundations",),
        ),
    ]  # fmt: skip
    damages = [Expected(("damages",), *damages_span, {"rate": "2500", "per": "week"})]
    # and predictions: the deliverable with a wrong date, the payment missed, an extra
    # deliverable from the confidentiality sentence, the damages right but with an invented cap
    predicted = {
        "proposals": [
            _proposal("deliverable", "Practical completion", *first, due="2027-03-30"),
            _proposal("deliverable", "Keep information confidential", *confidential),
        ],
        "damages": [
            {"rate": "2500", "per": "week", "cap": "99000", "citation": {"start": damages_span[0],
                                                                          "end": damages_span[1]}}
        ],
    }  # fmt: skip
    corpus = CorpusReport("test")

    # when it is scored
    score_document(text, predicted, labels, damages, corpus, "doc")

    # then the deliverable is a hit, the extra one a false positive, the payment a miss
    assert (corpus.kinds["deliverable"].tp, corpus.kinds["deliverable"].fp) == (1, 1)
    assert (corpus.kinds["payment"].tp, corpus.kinds["payment"].fn) == (0, 1)
    assert corpus.kinds["deliverable"].precision == 0.5
    assert corpus.all_kinds.recall == 2 / 3
    # and the title is right on the match, counted against precision on the extra
    title = corpus.fields["title"]
    assert (title.right, title.predicted, title.labelled) == (1, 2, 2)
    # and the wrong date counts against both precision and recall
    due = corpus.fields["due"]
    assert (due.right, due.predicted, due.labelled) == (0, 1, 1)
    # and the missed payment's fields count against recall only
    assert corpus.fields["percent"].labelled == 1
    assert corpus.fields["percent"].predicted == 0
    assert corpus.fields["relative"].recall == 0
    # and the damages rate is right while the cap, which the text does not state, is wrong
    assert corpus.fields["damages.rate"].precision == 1
    assert corpus.fields["damages.cap"].predicted == 1
    assert corpus.fields["damages.cap"].right == 0
    # and the cap counts as an invented amount: no number in the text says 99000
    assert corpus.invented == 1


def test_an_optional_label_absorbs_a_prediction_without_counting_it() -> None:
    text = "The bonus, if any, is payable on early completion."
    labels = [Expected(("payment",), 0, len(text), {}, (), optional=True)]
    predicted = {"proposals": [_proposal("payment", "Bonus", 4, 9)], "damages": []}
    corpus = CorpusReport("test")

    score_document(text, predicted, labels, [], corpus, "doc")

    assert corpus.kinds == {}


def test_matching_prefers_the_pair_with_the_right_title() -> None:
    # given two labels of the same kind over the same sentence
    text = "Respond to Priority 1 within 30 minutes and resolve within 4 hours."
    labels = [
        Expected(("performance",), 0, len(text), {"target": 30}, ("respon",)),
        Expected(("performance",), 0, len(text), {"target": 4}, ("resol",)),
    ]
    predicted = {
        "proposals": [
            _proposal("performance", "Resolve P1 within 4 hours", 0, len(text), target=4),
            _proposal("performance", "Respond to P1 within 30 minutes", 0, len(text), target=30),
        ],
        "damages": [],
    }
    corpus = CorpusReport("test")

    score_document(text, predicted, labels, [], corpus, "doc")

    assert corpus.fields["title"].right == 2
    assert corpus.fields["target"].right == 2


def test_title_words_match_numbers_exactly_and_words_by_prefix() -> None:
    assert title_right(
        "Payment: £1,250,000 on completion of Milestone #1", ["1250000", "milestone 1"]
    )
    assert not title_right("Milestone 10", ["milestone 1"])
    assert title_right("Respond to P1 incidents", ["respon"])
    assert title_right("Payment: 20% at the start of the project", ["deposit|start"])


def test_units_compare_in_the_singular_and_business_as_working() -> None:
    assert evaluation.value_right("unit", "business days", "business day")
    assert evaluation.value_right("unit", "working hours", "Business Hours")
    assert evaluation.value_right("unit", "percent", "%")
    assert not evaluation.value_right("unit", "hours", "minutes")


def test_a_label_anchor_must_occur_exactly_once() -> None:
    with pytest.raises(LabelError):
        locate("by 1 May and by 1 May", "by 1 May", "t")
    with pytest.raises(LabelError):
        locate("by 1 May", "by 2 May", "t")
    assert locate("by 1 May", None, "t") == (0, 8)


def test_relative_dates_compare_weeks_with_days_and_anchor_words() -> None:
    label = {"anchor_words": ["contract date"], "offset": 2, "unit": "weeks"}
    assert evaluation.value_right(
        "relative", {"anchor": "the Contract Date", "offset": 14, "unit": "calendar"}, label
    )
    assert not evaluation.value_right(
        "relative", {"anchor": "the Completion Date", "offset": 2, "unit": "weeks"}, label
    )


def test_the_command_prints_every_corpus(
    conformance: Path, report: Report, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation, "evaluate", lambda *args: report)
    assert evaluation.main(["--conformance", str(conformance), "--labels", str(LABELS)]) == 0
    out = capsys.readouterr().out
    for name in evaluation.CORPUS_NAMES.values():
        assert name in out
    assert "invented amounts: 0" in out


def test_the_command_prints_the_figures_as_json(
    conformance: Path, report: Report, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation, "evaluate", lambda *args: report)
    assert evaluation.main(["--conformance", str(conformance), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == set(evaluation.CORPORA)
    assert figures["far"]["invented"] == 0
    assert {"tp", "fp", "fn", "precision", "recall"} <= set(figures["clauses"]["all_kinds"])


def test_the_command_refuses_a_missing_conformance_folder(tmp_path: Path, capsys: Any) -> None:
    assert evaluation.main(["--conformance", str(tmp_path / "absent")]) == 2
    assert "absent" in capsys.readouterr().err

"""Properties of the problem/measure formatter over generated findings (hypothesis).

Every finding appears in exactly one item; every measure answers a listed problem with
its number; numbering is consecutive; every item fits the length limit; the output does
not depend on the order findings arrive in.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfscore.models import Finding, LocalText, Quantity
from perfscore.narrate import (
    LANGS,
    build_narrative,
    chinese_numeral,
    load_report_template,
)

PROJECTS = {"p1": "残疾人工作经费", "p2": "残疾人康复项目（含彩票公益金）", "p3": "残疾人托养、就业项目"}
TEMPLATE = load_report_template()

_zh_words = st.sampled_from(["执行率", "预算", "超出", "未说明原因", "项目", "目标", "偏低", "完成", "资金来源", "托养", "满意度"])
_en_words = st.sampled_from(["execution", "rate", "budget", "above", "no reason", "target", "low", "funds", "care", "over"])
_numbers = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
_units = st.sampled_from(["", "人", "户", "万元", "元", "%", "人次", "小时"])


@st.composite
def texts(draw, words, punctuation, min_words=1, max_words=30):
    parts = []
    for _ in range(draw(st.integers(min_words, max_words))):
        parts.append(draw(words))
        if draw(st.booleans()):
            parts.append(f" {draw(_numbers)} {draw(_units)}".rstrip())
        parts.append(draw(st.sampled_from(punctuation)))
    return "".join(parts).strip() or "x"


@st.composite
def findings(draw):
    severity = draw(st.sampled_from(["problem", "warning", "info"]))
    fid = draw(st.sampled_from(["budget.over", "budget.under", "targets.missing", "rehab.months", "care.insurance"]))
    evidence = draw(st.dictionaries(st.sampled_from(["actual", "target", "budget", "spending", "rate", "count"]), st.builds(Quantity, value=_numbers, unit=_units), max_size=5))
    return Finding(
        id=fid,
        severity=severity,
        area=draw(st.sampled_from([None, "rehabilitation", "employment", "secretary"])),
        project=draw(st.sampled_from([None, "p1", "p2", "p3", "p9"])),
        indicator=draw(st.sampled_from([None, "rehabilitation.children_rehab_months", "x.unknown"])),
        evidence=evidence,
        title=LocalText(zh=draw(texts(_zh_words, [""], 1, 4)), en=draw(texts(_en_words, [" "], 1, 6))),
        # a small pool of wordings so that same-id findings often merge
        problem=LocalText(zh=draw(st.sampled_from(["执行率超过100%，未说明原因。", "未设定年度指标值。"]) | texts(_zh_words, ["，", "。", "；", ""])),
                          en=draw(st.sampled_from(["Execution above 100%, no reason.", "No annual target."]) | texts(_en_words, [", ", ". ", "; ", " "]))),
        improvement=LocalText(zh=draw(texts(_zh_words, ["，", "。"], 0, 20)) if draw(st.booleans()) else "", en=draw(texts(_en_words, [", ", ". "], 1, 20))),
    )


finding_lists = st.lists(findings(), max_size=25)
limits = st.sampled_from([None, 40, 80, 200, 500])


def _identity(finding: Finding) -> tuple:
    return (finding.key, finding.title.zh, finding.title.en, finding.problem.zh, finding.problem.en)


def _narrate(items, lang, limit):
    return build_narrative(items, lang, project_names=PROJECTS, indicator_names={"rehabilitation.children_rehab_months": ("残疾儿童康复救助月数", "Months of rehab")}, max_chars=limit, template=TEMPLATE)


@settings(max_examples=150, deadline=None)
@given(finding_lists, st.sampled_from(LANGS), limits)
def test_every_finding_appears_in_exactly_one_item(items, lang, limit):
    """Each finding is cited by exactly one item: one item a kind (finding id), problems
    apart from notes, however the findings of the kind are worded."""
    narrative = _narrate(items, lang, limit)
    cited = [key for item in (*narrative.problems, *narrative.notes) for key in item.findings]
    expected = {f.key for f in items}
    assert set(cited) == expected
    by_item = {}
    for item in (*narrative.problems, *narrative.notes):
        for key in set(item.findings):
            by_item.setdefault(key, []).append(item.number)
    classes = {}
    for f in items:
        classes.setdefault(f.key, set()).add(f.severity == "info")
    for key, numbers in by_item.items():
        assert len(numbers) == len(classes[key])
    kinds = [(item.finding_id, item in narrative.notes) for item in (*narrative.problems, *narrative.notes)]
    assert len(kinds) == len(set(kinds))


@settings(max_examples=150, deadline=None)
@given(finding_lists, st.sampled_from(LANGS), limits)
def test_every_measure_answers_a_listed_problem(items, lang, limit):
    """Measure N refers to problem N, quotes its number, and there is one measure per problem."""
    narrative = _narrate(items, lang, limit)
    assert len(narrative.measures) == len(narrative.problems)
    for problem, measure in zip(narrative.problems, narrative.measures):
        assert measure.refers_to == problem.number
        assert measure.findings == problem.findings
        assert measure.heading.count(problem.label) >= 2  # its own number and the problem's


@settings(max_examples=150, deadline=None)
@given(finding_lists, st.sampled_from(LANGS), limits)
def test_numbering_is_consecutive(items, lang, limit):
    """Problems, measures and notes are numbered 1, 2, 3 … with labels （一）（二）… or (1) (2) …."""
    narrative = _narrate(items, lang, limit)
    for group in (narrative.problems, narrative.measures, narrative.notes):
        assert [item.number for item in group] == list(range(1, len(group) + 1))
        for item in group:
            assert item.label == (f"（{chinese_numeral(item.number)}）" if lang == "zh" else f"({item.number})")
            assert item.heading.startswith(item.label)


@settings(max_examples=150, deadline=None)
@given(finding_lists, st.sampled_from(LANGS), limits)
def test_items_respect_max_chars(items, lang, limit):
    """Every item (heading and paragraph) fits the ruleset's limit, scaled for English."""
    narrative = _narrate(items, lang, limit)
    room = (limit or 200) * TEMPLATE.length_factor[lang]
    for item in (*narrative.problems, *narrative.measures, *narrative.notes):
        assert len(item.text) <= room


@settings(max_examples=100, deadline=None)
@given(finding_lists, st.sampled_from(LANGS), limits, st.randoms(use_true_random=False))
def test_shuffling_the_findings_changes_nothing(items, lang, limit, random):
    """The narrative is the same whatever order the findings arrive in, and on a second run."""
    shuffled = list(items)
    random.shuffle(shuffled)
    assert _narrate(shuffled, lang, limit) == _narrate(items, lang, limit)


@settings(max_examples=100, deadline=None)
@given(finding_lists, limits)
def test_both_languages_have_the_same_structure(items, limit):
    """zh and en list the same items, in the same order, keeping the same evidence."""
    zh, en = _narrate(items, "zh", limit), _narrate(items, "en", limit)
    for a, b in ((zh.problems, en.problems), (zh.measures, en.measures), (zh.notes, en.notes)):
        assert [(i.number, i.finding_id, i.findings, i.projects, i.dropped_evidence) for i in a] == [
            (i.number, i.finding_id, i.findings, i.projects, i.dropped_evidence) for i in b
        ]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="执行率超出预算，。；0123456789.% 万元", max_size=300), st.integers(3, 120))
def test_shorten_never_cuts_inside_a_number(text, room):
    """A shortened text fits and never ends a cut in the middle of a figure."""
    from perfscore.narrate import shorten

    result = shorten(text, room, "zh", "……")
    assert len(result) <= room
    if result != text and result.endswith("……"):
        kept = result[: -len("……")]
        assert text.startswith(kept)
        rest = text[len(kept):]
        if kept and rest:
            assert not (kept[-1] in "0123456789.%" and rest[0] in "0123456789.%")


def test_decimal_values_survive_unchanged():
    """A sanity check on the strategy: evidence is Decimal, as plugins give it."""
    assert isinstance(Quantity(value=Decimal("1.5"), unit="人").value, Decimal)

"""Indicator values as 自评表 print them: every form read, every unreadable text refused, round trips."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from perfscore.errors import InputError
from perfscore.values import (
    COUNTING_UNITS,
    MONEY_UNITS,
    NOT_APPLICABLE_MARKS,
    Comparator,
    DateValue,
    NotApplicable,
    Number,
    Qualifier,
    Qualitative,
    Value,
    ValueTextError,
    format_value,
    parse_value,
)

GE, GT, LE, LT, EQ = Comparator.AT_LEAST, Comparator.MORE_THAN, Comparator.AT_MOST, Comparator.LESS_THAN, Comparator.EQUAL
D = Decimal

READ: list[tuple[str, Value]] = [
    # comparators as symbols, full-width and small forms
    ("≥90户", Number(D(90), "户", GE)),
    ("≥50个", Number(D(50), "个", GE)),
    ("≤90万元", Number(D(90), "万元", LE)),
    ("=8个", Number(D(8), "个", EQ)),
    ("=100%", Number(D(100), "%", EQ)),
    ("﹦100%", Number(D(100), "%", EQ)),
    ("＝100%", Number(D(100), "%", EQ)),
    ("＞5次", Number(D(5), "次", GT)),
    ("＜3天", Number(D(3), "天", LT)),
    (">=95%", Number(D(95), "%", GE)),
    ("<=2小时", Number(D(2), "小时", LE)),
    ("≧90%", Number(D(90), "%", GE)),
    # comparators as words, before and after the figure
    ("不低于85%", Number(D(85), "%", GE)),
    ("不少于20人", Number(D(20), "人", GE)),
    ("不高于5%", Number(D(5), "%", LE)),
    ("不超过100万元", Number(D(100), "万元", LE)),
    ("大于等于85户", Number(D(85), "户", GE)),
    ("小于等于3个工作日", Number(D(3), "个工作日", LE)),
    ("大于0", Number(D(0), "", GT)),
    ("超过80%", Number(D(80), "%", GT)),
    ("低于5%", Number(D(5), "%", LT)),
    ("达到95%", Number(D(95), "%", GE)),
    ("控制在90万元以内", Number(D(90), "万元", LE)),
    ("90%以上", Number(D(90), "%", GE)),
    ("100户及以上", Number(D(100), "户", GE)),
    ("5%以下", Number(D(5), "%", LE)),
    ("3个工作日内", Number(D(3), "个工作日", LE)),
    ("15天以内", Number(D(15), "天", LE)),
    ("达到90%以上", Number(D(90), "%", GE)),
    ("不低于90%以上", Number(D(90), "%", GE)),
    # qualifiers
    ("约79人", Number(D(79), "人", qualifier=Qualifier.ABOUT)),
    ("大约3000元", Number(D(3000), "元", qualifier=Qualifier.ABOUT)),
    ("60余次", Number(D(60), "次", qualifier=Qualifier.OVER)),
    ("300多户", Number(D(300), "户", qualifier=Qualifier.OVER)),
    ("近200人", Number(D(200), "人", qualifier=Qualifier.NEARLY)),
    ("80%左右", Number(D(80), "%", qualifier=Qualifier.ABOUT)),
    ("≥约90户", Number(D(90), "户", GE, Qualifier.ABOUT)),
    # numbers: full-width, thousands separators, decimals kept exact
    ("１８．６万元", Number(D("18.6"), "万元")),
    ("≥９０％", Number(D(90), "%", GE)),
    ("1,280.00元", Number(D("1280.00"), "元")),
    ("1，280元", Number(D(1280), "元")),
    ("100.00%", Number(D("100.00"), "%")),
    ("0.1万元", Number(D("0.1"), "万元")),
    ("99户", Number(D(99), "户")),
    ("164", Number(D(164))),
    ("0", Number(D(0))),
    (" ≥ 90 户 ", Number(D(90), "户", GE)),
    ("\u3000≥90户\u00a0", Number(D(90), "户", GE)),
    # units: percent words, money with its scale, counting and compound units
    ("≥100百分比", Number(D(100), "%", GE)),
    ("3‰", Number(D(3), "‰")),
    ("5亿元", Number(D(5), "亿元")),
    ("260元/辆", Number(D(260), "元/辆")),
    ("≤6000元/户", Number(D(6000), "元/户", LE)),
    ("0.5万元/户", Number(D("0.5"), "万元/户")),
    ("≥2小时/户", Number(D(2), "小时/户", GE)),
    ("436.92元/人次", Number(D("436.92"), "元/人次")),
    ("1年", Number(D(1), "年")),
    ("6个月", Number(D(6), "个月")),
    ("2个百分点", Number(D(2), "个百分点")),
    ("1200平方米", Number(D(1200), "平方米")),
    ("1200㎡", Number(D(1200), "平方米")),
    ("≥90分", Number(D(90), "分", GE)),
    ("3所", Number(D(3), "所")),
    ("12场", Number(D(12), "场")),
    ("500册", Number(D(500), "册")),
    ("4台", Number(D(4), "台")),
    ("15家", Number(D(15), "家")),
    ("8项", Number(D(8), "项")),
    ("2023年", Number(D(2023), "年")),
    # ranges
    ("90%-95%", Number(D(90), "%", upper=D(95))),
    ("90-95%", Number(D(90), "%", upper=D(95))),
    ("90%～95%", Number(D(90), "%", upper=D(95))),
    ("90%~95%", Number(D(90), "%", upper=D(95))),
    ("90%—95%", Number(D(90), "%", upper=D(95))),
    ("10至20人", Number(D(10), "人", upper=D(20))),
    ("10到20人", Number(D(10), "人", upper=D(20))),
    ("90%-90%", Number(D(90), "%", upper=D(90))),
    # dates
    ("2023年12月底", DateValue(2023, 12, part="底")),
    ("2023年12月31日", DateValue(2023, 12, 31)),
    ("2023年底", DateValue(2023, part="底")),
    ("2023年底前完成", DateValue(2023, part="底", comparator=LE)),
    ("12月31日前", DateValue(None, 12, 31, comparator=LE)),
    ("2023年6月", DateValue(2023, 6)),
    ("2023年6月中旬", DateValue(2023, 6, part="中旬")),
    ("≤2023年12月底", DateValue(2023, 12, part="底", comparator=LE)),
    ("２０２３年１２月底", DateValue(2023, 12, part="底")),
    # qualitative texts
    ("达到预期", Qualitative("达到预期")),
    ("逐步提高", Qualitative("逐步提高")),
    ("有效改善", Qualitative("有效改善")),
    ("良好", Qualitative("良好")),
    ("效果明显", Qualitative("效果明显")),
    ("合规", Qualitative("合规")),
    ("及时", Qualitative("及时")),
    ("完成", Qualitative("完成")),
    ("达成预期指标", Qualitative("达成预期指标")),
    ("有所提高", Qualitative("有所提高")),
    ("不超过预算", Qualitative("不超过预算")),
    ("  按时完成  ", Qualitative("按时完成")),
    # not applicable
    ("/", NotApplicable("/")),
    ("／", NotApplicable("／")),
    ("—", NotApplicable("—")),
    ("——", NotApplicable("——")),
    ("-", NotApplicable("-")),
    ("－", NotApplicable("－")),
    ("无", NotApplicable("无")),
    (" / ", NotApplicable("/")),
]


@pytest.mark.parametrize(("text", "expected"), READ, ids=[text for text, _ in READ])
def test_each_printed_form_is_read(text: str, expected: Value) -> None:
    """Each form seen in published 自评表 parses to its comparator, number, qualifier and unit."""
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("text", "expected"), READ, ids=[text for text, _ in READ])
def test_each_printed_form_reads_back_from_its_canonical_text(text: str, expected: Value) -> None:
    """The canonical text of every example parses to the same value."""
    assert parse_value(format_value(parse_value(text))) == expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("≥90户", "≥90户"), ("不低于85%", "≥85%"), ("90%以上", "≥90%"), ("约79人", "约79人"), ("80%左右", "约80%"), ("300多户", "300余户"),
     ("90-95%", "90%-95%"), ("90%～95%", "90%-95%"), ("１８．６万元", "18.6万元"), ("1,280.00元", "1280.00元"), ("≥100百分比", "≥100%"),
     ("3个工作日内", "≤3个工作日"), ("2023年底前完成", "2023年底前"), ("≤2023年12月底", "2023年12月底前"), ("达到预期", "达到预期"), ("—", "—")],
)
def test_the_canonical_form(text: str, canonical: str) -> None:
    """format_value writes one canonical form: symbols, 约 before and 余 after the figure, the unit on both bounds."""
    assert format_value(parse_value(text)) == canonical


def test_numbers_are_exact_decimals_from_the_text() -> None:
    """A figure becomes the Decimal its text writes, never through float."""
    value = parse_value("0.1万元")
    assert isinstance(value, Number) and value.number.as_tuple() == Decimal("0.1").as_tuple()
    value = parse_value("1,280.00元")
    assert isinstance(value, Number) and value.number.as_tuple() == Decimal("1280.00").as_tuple()


def test_money_keeps_its_exact_scale() -> None:
    """万元, 亿元 and money per something keep their unit, with the exact number of 元 one of them is."""
    assert [parse_value(text).yuan_per_unit for text in ("5元", "5万元", "5亿元", "0.5万元/户")] == [D(1), D(10000), D(100000000), D(10000)]  # type: ignore[union-attr]
    assert parse_value("5亿元") == Number(D(5), "亿元")
    assert parse_value("90户").yuan_per_unit is None  # type: ignore[union-attr]
    assert [parse_value(text).kind for text in ("90", "90%", "3‰", "90元/人", "90户")] == ["none", "percent", "permille", "money", "count"]  # type: ignore[union-attr]


UNREADABLE = [
    ("≥abc", ("comparator ≥", "'abc'", "a number")),
    ("≥", ("comparator ≥", "a number")),
    ("=预期", ("comparator =", "'预期'", "a number")),
    ("90abc", ("number 90", "'abc'", "a unit")),
    ("≥90户口本", ("comparator ≥", "number 90", "unit 户", "'口本'")),
    ("共计服务164户", ("'共计服务164户'", "≥90户")),
    ("≥90%-95%", ("comparator ≥", "range", "without a comparator")),
    ("约90%-95%", ("qualifier 约", "without a comparator")),
    ("95%-90%", ("number 95", "upper bound")),
    ("90%-95户", ("range to 95", "same unit")),
    ("90%-95abc", ("range to 95", "'abc'")),
    ("不低于90%以下", ("comparator 不低于", "以下", "one comparator")),
    ("约90余人", ("约余", "at most one")),
    ("九十户", ("Chinese numerals",)),
    ("百分之九十", ("Chinese numerals",)),
    ("", ("empty",)),
    ("   ", ("empty",)),
    ("1" * 16, ("15 digits",)),
    ("0.1234567", ("6 decimal places",)),
    ("2023年2月30日", ("no day 30",)),
    ("2023年13月", ("no month 13",)),
    ("2023年5日", ("number 2023", "unit 年", "'5日'")),
    ("12月前", ("duration",)),
    ("-5%", ("a value such as",)),
    ("1e5", ("number 1", "'e5'")),
    ("1,2", ("number 1", "',2'")),
    ("≥90户" + "，" * 80, ("at most 64 characters",)),
]


@pytest.mark.parametrize(("text", "fragments"), UNREADABLE, ids=[text[:20] for text, _ in UNREADABLE])
def test_an_unreadable_text_says_what_was_understood_and_expected(text: str, fragments: tuple[str, ...]) -> None:
    """Text that is no value raises ValueTextError, naming what was read, where it stopped and what was expected."""
    with pytest.raises(ValueTextError) as caught:
        parse_value(text)
    message = str(caught.value)
    assert message.startswith(f"cannot read the value {text!r}")
    assert "(expected " in message
    for fragment in fragments:
        assert fragment in message


def test_the_error_is_an_input_error_that_a_caller_locates() -> None:
    """ValueTextError is an InputError; located() adds the file and the key path or cell."""
    with pytest.raises(InputError) as caught:
        parse_value("≥abc")
    error = caught.value
    assert isinstance(error, ValueTextError)
    assert (error.text, error.understood, error.rest) == ("≥abc", ("comparator ≥",), "abc")
    located = error.located("unit.toml", "projects[0].indicators[2].target")
    assert isinstance(located, ValueTextError) and located.expected == error.expected
    assert str(located).startswith("unit.toml: projects[0].indicators[2].target: cannot read the value '≥abc'")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Number(D(-1)),
        lambda: Number(D("NaN")),
        lambda: Number(D(95), "%", upper=D(90)),
        lambda: Number(D(90), "%", GE, upper=D(95)),
        lambda: Number(D(90), "abc"),
        lambda: DateValue(2023, 13),
        lambda: DateValue(None, 12),
        lambda: Qualitative("90户"),
        lambda: Qualitative(" 良好"),
        lambda: NotApplicable("n"),
    ],
)
def test_a_value_that_would_not_read_back_cannot_be_made(make: object) -> None:
    """The value types refuse what no text parses to (a negative figure, a range with a comparator, ...)."""
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_a_typical_unit_parses_in_microseconds() -> None:
    """Thirty typical cells parse far below a millisecond each (a few microseconds on a quiet machine)."""
    texts = ["≥90户", "99户", "不低于85%", "达成预期指标", "≤90万元", "约79人", "90%-95%", "/"] * 4
    started = time.perf_counter()
    for _ in range(100):
        for text in texts:
            parse_value(text)
    assert (time.perf_counter() - started) / (100 * len(texts)) < 100e-6


# -- properties ------------------------------------------------------------------------

UNITS = sorted({"", "%", "‰", *MONEY_UNITS, *COUNTING_UNITS, "元/人", "万元/户", "小时/户", "元/辆", "次/年"})
figures = st.builds(lambda digits, places: Decimal(digits).scaleb(-places), st.integers(0, 10**21 - 1), st.integers(0, 6)).filter(lambda d: d < Decimal(10) ** 15)
numbers = st.one_of(
    st.builds(Number, figures, st.sampled_from(UNITS), st.none() | st.sampled_from(Comparator), st.none() | st.sampled_from(Qualifier)),
    st.builds(lambda low, high, unit: Number(min(low, high), unit, upper=max(low, high)), figures, figures, st.sampled_from(UNITS)),
)


def _date(year: int | None, month: int | None, day: int | None, part: str | None, comparator: Comparator | None) -> DateValue | None:
    try:
        return DateValue(year, month, day, part, comparator)
    except ValueError:
        return None


dates = st.builds(
    _date, st.none() | st.integers(1000, 9999), st.none() | st.integers(1, 12), st.none() | st.integers(1, 31),
    st.none() | st.sampled_from(["初", "上旬", "中旬", "下旬", "中", "底", "末"]), st.none() | st.sampled_from(Comparator),
).filter(lambda value: value is not None)


def _qualitative(text: str) -> Qualitative | None:
    try:
        return Qualitative(text)
    except ValueError:
        return None


qualitatives = st.builds(_qualitative, st.text(st.sampled_from("达成预期指标有效改善良好合规及时完成逐步提高不超过预算效果明显 满意十分"), min_size=1, max_size=12)).filter(lambda value: value is not None)
values = st.one_of(numbers, dates, qualitatives, st.builds(NotApplicable, st.sampled_from(sorted(NOT_APPLICABLE_MARKS))))


@settings(max_examples=500, deadline=None)
@given(values)
@example(Number(D("0E-6"), "%"))
@example(Number(D("1E+14"), "亿元", Comparator.AT_MOST, Qualifier.NEARLY))
@example(Number(D("0.000001"), "个工作日", upper=D("999999999999999.999999")))
def test_formatting_then_parsing_gives_back_the_value(value: Value) -> None:
    """parse_value(format_value(v)) == v for every value: comparators, qualifiers, units, ranges, dates, texts."""
    assert parse_value(format_value(value)) == value


PIECES = [
    *"0123456789０１２３４５６７８９.．,，%％‰≥≤<>=＞＜＝﹦≧≦-－~～—/／ \u3000\xa0",
    "不低于", "不少于", "大于等于", "不超过", "以上", "以下", "以内", "内", "达到", "约", "余", "近", "左右", "多",
    "户", "万元", "亿元", "元/人", "个工作日", "人次", "百分比", "年", "月", "日", "底", "前", "中旬", "至",
    "九十", "百分之", "无", "达成预期", "e", "E", "NaN", "Infinity",
]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.characters()), max_size=12).map("".join))
@example("9" * 100)
@example("1" * 10000)
@example(" " * 10000 + "1x")
def test_parsing_any_text_raises_nothing_but_its_error(text: str) -> None:
    """parse_value reads any text or raises ValueTextError, never another exception; what it reads writes back."""
    try:
        value = parse_value(text)
    except ValueTextError as error:
        assert str(error).startswith("cannot read the value")
    else:
        assert parse_value(format_value(value)) == value

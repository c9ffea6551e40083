"""The charts page (:mod:`perfscore.web.views`): the grade distribution, the score by level and the change from year to year, as SVG.

Drawn on the server by :mod:`perfscore.output.svg` from the same ranked tables the table page
shows (reviewed scores), so a chart and the table never disagree. The year-to-year line takes,
for each stored year, the mean reviewed total of the units scored by rules with the same
scoring print as the chosen ruleset (the rows a table may compare).
"""

from __future__ import annotations

from decimal import Decimal

from starlette.responses import Response

from perfscore.arithmetic import ZERO, quantize
from perfscore.messages import pick
from perfscore.numbers import plain, whole
from perfscore.output.svg import Bar, bar_chart, line_chart
from perfscore.web.data import NotFound, ruleset_of
from perfscore.web.pages import Page

HUNDRED = Decimal(100)


def _ticks(top: Decimal, steps: int = 4) -> list[tuple[Decimal, str]]:
    return [(top * index / steps, plain(top * index / steps, 0)) for index in range(steps + 1)]


def _rounded_up(value: Decimal, step: int) -> Decimal:
    steps = int((value / step).to_integral_value(rounding="ROUND_CEILING"))
    return Decimal(max(steps, 1) * step)


def charts_page(page: Page) -> Response:
    tables = page.state.tables
    years = tables.years()
    if not years:
        return page.render("empty.html")
    text = page.param("year")
    if text is not None and (not text.isdigit() or int(text) not in years):
        raise NotFound("no_year", year=text[:20])
    year = int(text) if text is not None else years[-1]
    table = tables.table(year, page.param("ruleset"), page.lang)
    info = table.rulesets[0] if table.rulesets else None
    charts = []
    grades = table.summary["grades"]
    names = {grade: pick((grade, name_en), page.lang) for grade, name_en, _ in (info.grades if info else ())}
    most = max(grades.values(), default=0)
    top = _rounded_up(Decimal(most), 5 if most <= 50 else 100)
    bars = [Bar(names.get(grade, grade), Decimal(count), whole(count)) for grade, count in grades.items()]
    charts.append(bar_chart(page.msg("chart_grades", year=whole(year)), bars, top, [(value, plain(value, 0)) for value, _ in _ticks(top)]))
    if info is not None and table.rows:
        levels = [("budget_score", page.msg("budget_level"))] + [(f"level:{level}", pick((zh, en), page.lang)) for level, zh, en in info.levels]
        bars = []
        for key, label in levels:
            values = [row[key] for row in table.rows if row.get(key) is not None]
            if values:
                mean = quantize(sum(values, ZERO) / len(values), 2)
                bars.append(Bar(label, mean, plain(mean)))
        top = _rounded_up(max((bar.value for bar in bars), default=Decimal(10)), 10)
        charts.append(bar_chart(page.msg("chart_levels", year=whole(year)), bars, top, _ticks(top)))
        points = []
        for each in years:
            year_tables = tables.year(each)
            same = [candidate for candidate, _ in year_tables.rulesets if candidate.scoring_fingerprint == info.scoring_fingerprint]
            if not same:
                continue
            summary = tables.table(each, same[0].fingerprint, page.lang).summary
            if summary["mean"] is not None:
                points.append(Bar(whole(each), summary["mean"], plain(summary["mean"])))
        charts.append(line_chart(page.msg("chart_years"), points, HUNDRED, _ticks(HUNDRED)))
    rulesets = [(candidate.fingerprint[:12], f"{candidate.id} {candidate.version} · {count}") for candidate, count in tables.year(year).rulesets]
    return page.render("charts.html", charts=charts, year=year, years=years, rulesets=rulesets, ruleset=page.param("ruleset") or (rulesets[0][0] if rulesets else ""), summary=table.summary)


__all__ = ["charts_page", "ruleset_of"]

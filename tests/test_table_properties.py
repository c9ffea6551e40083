"""Properties of the ranked table a bureau relies on: order independence and the rank rule."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from perfscore.batch.run import make_scorer
from perfscore.generate import write_submissions
from perfscore.batch.table import build_rows, competition_ranks

ROOT = Path(__file__).resolve().parent.parent
_SUMMARIES: list = []


def _summaries(tmp_root: Path) -> list:
    """Twelve scored units plus the seed, scored once for the whole module."""
    if not _SUMMARIES:
        folder = tmp_root / "units"
        paths = write_submissions(12, 21, folder, 2022)
        shutil.copy(ROOT / "seeds" / "district-canlian-2022.toml", folder / "seed.toml")
        scorer = make_scorer([], None, "unit")
        _SUMMARIES.extend(scorer.score(path) for path in [*paths, folder / "seed.toml"])
    return _SUMMARIES


def _ranking(summaries: list) -> list[tuple[str, int | None]]:
    rows = build_rows(summaries, "unit", "zh", False)
    competition_ranks(rows)
    return [(row["unit_id"], row["rank"]) for row in rows]


def test_ranking_does_not_depend_on_file_order(tmp_path_factory):
    """Shuffling the scored files never changes who is ranked where."""
    summaries = _summaries(tmp_path_factory.mktemp("prop"))
    expected = _ranking(summaries)

    @settings(max_examples=50, deadline=None)
    @given(st.permutations(summaries))
    def check(order):
        assert _ranking(list(order)) == expected

    check()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=100, places=3, allow_nan=False), min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_competition_ranks_are_one_plus_the_number_of_better_rows(totals, random):
    """Each rank is 1 + how many rows have a higher rounded total, whatever the input order."""
    rows = [{"total": Decimal(total), "_tie": (f"u{index:03d}",)} for index, total in enumerate(totals)]
    random.shuffle(rows)
    competition_ranks(rows)
    rounded = [row["total"].quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for row in rows]
    for row, value in zip(rows, rounded):
        assert row["rank"] == 1 + sum(1 for other in rounded if other > value)
    ties = [row["_tie"] for row in rows]
    for first, second, a, b in zip(rows, rows[1:], rounded, rounded[1:]):
        if a == b:
            assert first["_tie"] < second["_tie"]
    assert len(ties) == len(set(ties))


# --------------------------------------------------------------------------- the grid drawer

_cell_text = st.text(alphabet=st.sampled_from(list("ab Z09.-—·%（）优良残联康复Ａ\u0301\t\r")), max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda width: st.tuples(
            st.lists(_cell_text, min_size=width, max_size=width),
            st.lists(st.lists(_cell_text, min_size=width, max_size=width), min_size=1, max_size=6),
            st.lists(st.sampled_from(["left", "right"]), min_size=width, max_size=width),
        )
    ),
    st.sampled_from(["simple", "github"]),
)
def test_the_grid_drawer_draws_what_tabulate_draws(table, tablefmt):
    """The big table is drawn by perfscore's own grid drawer for speed; it must be the same,
    character for character, as tabulate's (Chinese, wide and combining characters included)."""
    from tabulate import tabulate

    from perfscore.output.table import draw_grid

    headers, rows, alignment = table
    expected = tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True, colalign=alignment)
    assert draw_grid(rows, headers, alignment, tablefmt) == expected


_width_text = st.text(alphabet=st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x7E), st.characters(min_codepoint=0x3000, max_codepoint=0x3040), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), st.characters(min_codepoint=0xFF00, max_codepoint=0xFF70), st.sampled_from(["\u0301", "\u200b", "é", "\U0001f600", "—", "·", "\u2015"])), max_size=12)


@settings(max_examples=500, deadline=None)
@given(_width_text)
def test_the_grid_drawer_measures_chinese_text_as_wcwidth_does(text):
    """The drawer counts Chinese text's columns without wcwidth, and gets wcwidth's count."""
    from wcwidth import wcswidth

    from perfscore.output.table import _display_width

    assert _display_width(text) == wcswidth(text)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda width: st.tuples(
            st.lists(_cell_text, min_size=width, max_size=width),
            st.lists(st.lists(_cell_text, min_size=width, max_size=width), min_size=1, max_size=6),
            st.lists(st.sampled_from(["left", "right"]), min_size=width, max_size=width),
        )
    ),
    st.sampled_from(["simple", "github"]),
)
def test_the_streamed_grid_is_the_drawn_grid(table, tablefmt):
    """A table written a row at a time (never whole in memory) has the same characters as the grid drawn whole."""
    import io

    from perfscore.output.table import draw_grid, write_grid

    headers, rows, alignment = table
    out = io.StringIO()
    write_grid(out, lambda: iter(rows), headers, alignment, tablefmt)
    assert out.getvalue() == draw_grid(rows, headers, alignment, tablefmt) + "\n"

"""core.charts.relations (issue 20): the pair grid, each column against a target as a teacher would draw it,
and one row's pushes; and the sentences and kinds explore gives them. Asserts on figure fields, not pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.charts import contributions_figure, relations_figure, target_relation_figure
from core.charts.relations import MAX_MATRIX
from core.data import DATA_DIR, explore
from core.models.explain import RowExplanation


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "penguins.csv")


def test_the_grid_holds_each_pair_once_below_the_diagonal(penguins: pd.DataFrame) -> None:
    found = explore(penguins)
    fig = relations_figure(found)
    heat = fig.data[0]
    assert heat.type == "heatmap" and fig.layout.title.text == "How strongly each pair of columns goes together"
    columns = len(heat.x) + 1
    filled = [(i, j) for i, row in enumerate(heat.customdata) for j, cell in enumerate(row) if cell]
    assert len(filled) == columns * (columns - 1) // 2  # every pair of the shown columns, once
    assert all(j <= i for i, j in filled)  # only the lower half
    z = np.asarray(heat.z, dtype=float)
    assert all(heat.text[i][j] == "" for i, j in filled if z[i, j] < 0.05)  # unrelated pairs: a blank cell
    strongest = found.pairs[0]  # the species and the flipper length
    assert (heat.y[0], heat.x[0]) in ((strongest.a, strongest.b), (strongest.b, strongest.a))
    assert heat.text[0][0] == f"{strongest.strength:.1f}" and f"{strongest.strength:.2f}" in heat.customdata[0][0]
    assert heat.zmin == 0 and heat.zmax == 1 and np.nanmax(np.asarray(heat.z, dtype=float)) <= 1


def test_a_wide_table_shows_the_columns_of_the_strongest_pairs_only() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=300)
    frame = pd.DataFrame({f"c{i:02d}": base * (i % 3) + rng.normal(size=300) for i in range(30)})
    fig = relations_figure(explore(frame))
    assert len(fig.data[0].x) == MAX_MATRIX - 1 and len(fig.data[0].y) == MAX_MATRIX - 1


def test_no_pair_is_said_in_an_empty_figure() -> None:
    fig = relations_figure(explore(pd.DataFrame({"a": ["x", "y"] * 3})))
    assert not fig.data and fig.layout.annotations[0].text == "No pair of columns could be measured."


def test_a_yes_no_target_is_drawn_as_its_rate_in_each_category() -> None:
    frame = pd.DataFrame({"port": ["A"] * 10 + ["B"] * 10, "left": ["yes"] * 8 + ["no"] * 2 + ["yes"] * 3 + ["no"] * 7})
    fig = target_relation_figure(frame["port"], frame["left"], "category", "category")
    bars = fig.data[0]
    # the rarer answer ('no': 9 of 20) is the one whose rate is drawn
    assert fig.layout.title.text == "How often 'left' is 'no', by 'port'"
    assert dict(zip(bars.y, bars.x)) == {"A": pytest.approx(20.0), "B": pytest.approx(70.0)}
    assert fig.layout.shapes[0].x0 == pytest.approx(45.0)  # the overall rate, dashed


def test_more_classes_are_drawn_as_the_mix_in_each_category(penguins: pd.DataFrame) -> None:
    fig = target_relation_figure(penguins["island"], penguins["species"], "category", "category")
    assert fig.layout.barmode == "stack" and {t.name for t in fig.data} == {"Adelie", "Gentoo", "Chinstrap"}
    torgersen = [dict(zip(t.y, t.x)).get("Torgersen", 0) for t in fig.data]
    assert sum(torgersen) == pytest.approx(100.0)
    assert fig.layout.legend.y == 1.0  # above the plot, never over the axis title


def test_a_number_is_drawn_as_its_spread_in_each_class(penguins: pd.DataFrame) -> None:
    found = explore(penguins, "species")
    link = next(t for t in found.target if t.column == "flipper_length_mm")
    assert (link.column_kind, found.target_kind) == ("number", "category")
    fig = target_relation_figure(penguins[link.column], penguins["species"], link.column_kind, found.target_kind)
    box = fig.data[0]
    medians = penguins.groupby("species")["flipper_length_mm"].median()
    assert dict(zip(box.y, box.median)) == pytest.approx(medians.to_dict())
    assert box.y[0] == "Gentoo"  # the highest middle value first


def test_whole_numbers_get_whole_ticks(penguins: pd.DataFrame) -> None:
    fig = target_relation_figure(penguins["year"], penguins["species"], "number", "category")
    assert fig.layout.xaxis.tickformat == "d" and fig.layout.xaxis.dtick == 1  # 2007, 2008, not 2,007.5


def test_dates_in_text_are_measured_and_drawn_as_dates() -> None:
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    frame = pd.DataFrame({"signed": days.strftime("%Y-%m-%d"), "plan": np.where(np.arange(120) < 60, "old", "new")})
    found = explore(frame, "plan")
    assert found.target[0].column_kind == "date"
    fig = target_relation_figure(frame["signed"], frame["plan"], "date", "category")
    medians = dict(zip(fig.data[0].y, pd.to_datetime(fig.data[0].median)))
    assert medians["old"] == pd.Timestamp("2024-01-30 12:00") and medians["new"].month == 3


def test_two_numbers_are_a_scatter_of_at_most_two_thousand_points() -> None:
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=5000), name="x")
    fig = target_relation_figure(x, (2 * x).rename("y"), "number", "number")
    assert fig.data[0].type == "scatter" and len(fig.data[0].x) == 2000
    assert np.allclose(np.asarray(fig.data[0].y), 2 * np.asarray(fig.data[0].x))


def test_one_rows_pushes_are_bars_biggest_first_without_the_ones_that_round_to_nothing() -> None:
    row = RowExplanation(
        base=0.25,
        output=0.4,
        reasons=(),
        sentence="",
        contributions={"fee": -0.04, "contract": 0.11, "tenure": 0.08, "region": 0.0001},
    )
    fig = contributions_figure(row)
    bars = fig.data[0]
    assert list(bars.y) == ["contract", "tenure", "fee"]
    assert list(bars.text) == ["+11", "+8", "−4"] and list(bars.x) == pytest.approx([11.0, 8.0, -4.0])
    assert bars.marker.color[0] != bars.marker.color[2]  # up and down in two colours
    assert fig.layout.title.subtitle.text == "Starting from the usual answer, 25%."
    assert fig.layout.xaxis.title.text == "push (percentage points)"


def test_the_strongest_pairs_are_told_and_a_pair_that_says_the_same_thing_says_so() -> None:
    rng = np.random.default_rng(0)
    price = rng.uniform(10, 100, 200)
    frame = pd.DataFrame({"price": price, "with_tax": price * 1.2, "units": rng.integers(1, 9, 200)})
    found = explore(frame)
    twin = found.pairs[0]
    assert twin.redundant and {twin.a, twin.b} == {"price", "with_tax"}
    assert twin.sentence.endswith("They say nearly the same thing, so a model needs only one of them.")
    assert all(p.sentence for p in found.pairs) and not any(p.redundant for p in found.pairs[1:])
    assert found.to_json()["pairs"][0]["sentence"] == twin.sentence


def test_every_measure_the_grid_names_has_a_glossary_entry() -> None:
    from core.charts import MEASURE_WORDS
    from core.vocab import TERMS

    assert set(MEASURE_WORDS) == {"spearman", "cramers_v", "correlation_ratio"}
    for key, words in MEASURE_WORDS.items():
        assert TERMS[key].meaning and words.lower() in TERMS[key].title.lower(), key


def test_the_grid_says_when_a_pair_rests_on_few_rows_or_could_be_chance() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    frame["c"] = np.where(np.arange(400) < 15, rng.normal(size=400), np.nan)  # 15 rows with a value
    found = explore(frame)
    hover = {tuple(sorted(h.split(":")[0].split(" and "))): h for row in relations_figure(found).data[0].customdata
             for h in row if h}  # fmt: skip
    ab = next(p for p in found.pairs if {p.a, p.b} == {"a", "b"})
    assert ab.p_value > 0.05 and "could well be chance (p-value" in hover[("a", "b")]
    assert "only 15 rows: read with care" in hover[("a", "c")]


def test_charts_of_hostile_names_hold_no_live_tag() -> None:
    import re

    from tests.app.helpers import hostile_frame, hostile_names

    frame, names = hostile_frame(), hostile_names(9)
    found = explore(frame, names["target"])
    figures = [relations_figure(found)]
    for link in found.target:
        figures.append(target_relation_figure(frame[link.column], frame[names["target"]], link.column_kind,
                                              found.target_kind))  # fmt: skip
    figures.append(contributions_figure(RowExplanation(0.5, 0.6, (), "", {n: 0.05 for n in names.values()})))
    assert {f.data[0].type for f in figures} >= {"heatmap", "box", "bar"}
    for fig in figures:
        text = fig.to_json()
        assert "evil" in text or "127.0.0.1" in text  # the hostile names are there, as text
        assert not re.search(r"<(?!/?(br|b|i|em|sup|sub|extra)\s*/?>)", text, re.IGNORECASE), text[:300]

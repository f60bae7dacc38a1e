"""core.models.features: a raw table turned into model input, with the one set of yes/no words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.models.features import build_schema, input_columns, prepare_features, to_bool_float
from core.vocab import FALSE_WORDS, TRUE_WORDS


@pytest.mark.parametrize("word", sorted(TRUE_WORDS | FALSE_WORDS))
def test_every_yes_no_spelling_of_the_vocabulary_is_read(word):
    cells = pd.Series([word, word.upper(), f" {word} ", None, "maybe"], dtype=object)
    expected = 1.0 if word in TRUE_WORDS else 0.0
    got = to_bool_float(cells).tolist()
    assert got[:3] == [expected] * 3
    assert np.isnan(got[3]) and np.isnan(got[4])


def test_prepare_features_follows_the_schema():
    frame = pd.DataFrame(
        {
            "n": ["1.5", "x", "3"],
            "flag": ["ja", "nein", "yes"],
            "when": ["2024-01-31", "2024-02-01", "not a date"],
            "plan": ["a", None, 7],
        }
    )
    kinds = {"n": "numeric", "flag": "boolean", "when": "datetime", "plan": "categorical"}
    schema = build_schema(frame, kinds, target="y", task="classification", classes=(np.int64(0), np.int64(1)))
    assert schema["classes"] == [0, 1] and type(schema["classes"][0]) is int
    prepared = prepare_features(frame, schema)
    numeric, categorical = input_columns(schema)
    assert list(prepared.columns) == numeric[:2] + ["when (year)", "when (month)", "when (day_of_week)"] + categorical
    assert prepared["flag"].tolist() == [1.0, 0.0, 1.0]
    assert prepared["n"].iloc[0] == 1.5 and np.isnan(prepared["n"].iloc[1])
    assert prepared["when (month)"].iloc[:2].tolist() == [1.0, 2.0] and np.isnan(prepared["when (year)"].iloc[2])
    assert prepared["plan"].tolist()[::2] == ["a", "7"] and pd.isna(prepared["plan"].iloc[1])

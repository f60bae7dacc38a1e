"""Scoring for the API: the model a reference names *now*, rows from JSON or CSV, the same checks and the same
answers as ``python -m core predict``.

* :class:`Resolver` answers which model a reference names, asking the store again once its answer is
  ``refresh_s`` old (1 s by default: a new champion is served within a second, with no restart, and a request
  does not read the model's record, evaluation report and all, from the database each time).
* :class:`ModelCache` keeps loaded models by id, file fingerprint and cut-off, so a model file is read once, with
  the fast path's rules for their rows (:class:`core.serve.plain.RowRules`).
* :func:`rows_frame` turns JSON rows into a table, naming the row and column of anything that is not a plain
  value; :func:`prepared_rows` runs the CLI's schema check on them and :func:`outputs` scores them as
  ``predict_frame`` would; :func:`score_csv` answers a CSV file exactly as ``predict --out`` writes it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import store
from core.errors import InputError
from core.models import KeelModel, check_schema, load_registered, predict_frame, to_safe_csv
from core.models.predict import CUTOFF_COLUMN, apply_cutoff, cutoff_of, with_cells_as_written
from core.serve.plain import RowRules, rules_for
from core.vocab import jsonable

CACHE_SIZE = 8
REFRESH_SECONDS = 1.0
RESOLVED_SIZE = 256


class TooLarge(InputError):
    """A request with more rows or bytes than the server takes (HTTP 413)."""


@dataclass(frozen=True)
class RowProblem:
    row: int  # counting from 1
    column: str | None
    value: str | None
    expected: str


class BadRows(InputError):
    """Rows that do not fit the model (HTTP 422), each problem with its row and column where known."""

    def __init__(self, message: str, hint: str, problems: tuple[RowProblem, ...] = ()) -> None:
        super().__init__(message, hint)
        self.problems = problems


class Resolver:
    """References to models, each answer kept ``refresh_s`` seconds (0: ask the store every time). A reference
    naming no model is asked again every time, so a model registered meanwhile is found at once."""

    def __init__(self, refresh_s: float = REFRESH_SECONDS, size: int = RESOLVED_SIZE) -> None:
        self._refresh_s = refresh_s
        self._size = size
        self._found: OrderedDict[str, tuple[float, store.ModelInfo]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, ref: str) -> store.ModelInfo | None:
        """The answer kept for ``ref`` while it is fresh, else None (without touching the store)."""
        with self._lock:
            found = self._found.get(ref)
        if found is None or time.monotonic() - found[0] >= self._refresh_s:
            return None
        return found[1]

    def resolve(self, ref: str) -> store.ModelInfo:
        """The model ``ref`` names (:func:`core.store.resolve_model`), from the store when the kept answer is stale."""
        info = self.cached(ref)
        if info is not None:
            return info
        info = store.resolve_model(ref)
        with self._lock:
            self._found[ref] = (time.monotonic(), info)
            self._found.move_to_end(ref)
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return info


Slot = tuple[int, str, float | None]


def slot_of(info: store.ModelInfo) -> Slot:
    """What identifies a loaded model: its id, its file's fingerprint and its cut-off."""
    return (info.id, info.artifact_sha256, info.threshold)


class ModelCache:
    """Loaded models by (id, file fingerprint, cut-off); the least recently used is dropped past ``size``."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._models: OrderedDict[Slot, KeelModel] = OrderedDict()
        self._rules: dict[Slot, RowRules] = {}
        self._lock = threading.Lock()
        self._loading: dict[Slot, threading.Lock] = {}

    def peek(self, info: store.ModelInfo) -> tuple[KeelModel, RowRules] | None:
        """The loaded model and its rows' rules when already loaded, else None (never reads a file)."""
        slot = slot_of(info)
        with self._lock:
            model = self._models.get(slot)
            if model is None:
                return None
            self._models.move_to_end(slot)
            return model, self._rules[slot]

    def loaded(self, info: store.ModelInfo) -> tuple[KeelModel, RowRules]:
        """The model and its rows' rules, loading it first if need be."""
        return self.peek(info) or (self.get(info), self._rules_of(info))

    def _rules_of(self, info: store.ModelInfo) -> RowRules:
        with self._lock:
            found = self._rules.get(slot_of(info))
        return found if found is not None else rules_for(self.get(info))

    def get(self, info: store.ModelInfo) -> KeelModel:
        slot = slot_of(info)
        with self._lock:
            model = self._models.get(slot)
            if model is not None:
                self._models.move_to_end(slot)
                return model
            loading = self._loading.setdefault(slot, threading.Lock())
        with loading:  # one thread loads a model; the others wait for it
            with self._lock:
                model = self._models.get(slot)
            if model is None:
                _, model = load_registered(info.id)  # the store checks the file's fingerprint
                rules = rules_for(model)
                with self._lock:
                    self._models[slot] = model
                    self._rules[slot] = rules
                    while len(self._models) > self._size:
                        dropped, _ = self._models.popitem(last=False)
                        self._rules.pop(dropped, None)
                    self._loading.pop(slot, None)
        return model


_PLAIN = (str, int, float, bool, type(None))
_KIND_WORDS: dict[type, str] = {dict: "an object", list: "a list"}


def rows_frame(body: Any, max_rows: int) -> pd.DataFrame:
    """The table in a JSON body ``{"rows": [{column: value, …}, …]}``; anything else is a :class:`BadRows`
    naming the row and column, and more than ``max_rows`` rows is :class:`TooLarge`."""
    hint = (
        'Send {"rows": [{"column": value, …}, …]}: one object per row, each value a number, text, true/false or null.'
    )
    if not isinstance(body, dict) or "rows" not in body:
        raise BadRows("The request has no 'rows'.", hint)
    rows = body["rows"]
    if not isinstance(rows, list) or not rows:
        raise BadRows("'rows' must be a list holding at least one row.", hint)
    if len(rows) > max_rows:
        raise TooLarge(
            f"The request has {len(rows):,} rows; this server takes at most {max_rows:,} in one request.",
            "Split the rows into smaller requests.",
        )
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            kind = _KIND_WORDS.get(type(row), "a single value")
            raise BadRows(
                f"Row {i} is {kind}, not an object of column names and values.",
                hint,
                (RowProblem(i, None, None, "an object"),),
            )
        for column, value in row.items():
            if not isinstance(value, _PLAIN):
                kind = _KIND_WORDS.get(type(value), type(value).__name__)
                raise BadRows(
                    f"Row {i}, column '{str(column)[:60]}' holds {kind}; a cell must be a number, text, true/false "
                    "or null.",
                    hint,
                    (RowProblem(i, str(column), None, "a number, text, true/false or null"),),
                )
    return pd.DataFrame.from_records(rows)


def _problems(report: Any) -> tuple[RowProblem, ...]:
    found = [RowProblem(0, name, None, "a column the model needs") for name in report.missing_columns]
    for bad in report.bad_values:
        found += [RowProblem(row, bad.column, value, bad.expected) for row, value in bad.examples]
    return tuple(found)


def checked(frame: pd.DataFrame, model: KeelModel, hint: str) -> Any:
    """The CLI's schema check; its errors as :class:`BadRows` (the CLI's own message, and where)."""
    report = check_schema(frame, model, raise_errors=False)
    if not report.ok:
        raise BadRows("This table does not fit the model: " + " ".join(report.errors), hint, _problems(report))
    return report


def prepared_rows(frame: pd.DataFrame, model: KeelModel) -> tuple[pd.DataFrame, list[str]]:
    """JSON rows checked as the CLI checks a file, then turned into the model's input table (numbers, categories as
    text, date parts), each request on its own (a date format is read per request, as a file's is per file).
    Returns that table and the check's warnings."""
    report = checked(
        frame,
        model,
        "Send every column the model needs, with numbers as numbers (or text holding a number) and dates as "
        "text such as 2026-12-07. Rows count from 1 in the order sent.",
    )
    return model.prepare(frame), list(report.warnings)


def outputs(prepared: pd.DataFrame, model: KeelModel, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """What :func:`core.models.predict_frame` adds to a table, from the model's input table: ``prediction``, one
    ``proba_<class>`` per class and ``cutoff`` for a yes/no model with one. Row by row the same numbers, so
    several requests' rows can be scored in one call (:mod:`core.serve.batching`). A model that cannot score its
    input table (a recalibrated one prepares its own) scores ``frame``, the table as sent."""
    on_prepared = getattr(model, "scores_prepared", True) or frame is None
    given = prepared if on_prepared else frame
    if model.task != "classification":
        return pd.DataFrame({"prediction": model.predict(given, prepared=on_prepared)}, index=prepared.index)
    proba = model.predict_proba(given, prepared=on_prepared)
    used = cutoff_of(model)
    added: dict[str, Any] = {"prediction": apply_cutoff(proba, model.classes_, used)}
    for j, cls in enumerate(model.classes_):
        added[f"proba_{cls}"] = proba[:, j]
    if used is not None:
        added[CUTOFF_COLUMN] = used
    return pd.DataFrame(added, index=prepared.index)


def records(added: pd.DataFrame, warnings: list[str]) -> dict[str, Any]:
    """The JSON answer: ``{"predictions": [...], "warnings": [...]}`` (missing and non-finite numbers as null)."""
    names = [str(c) for c in added.columns]
    columns = [jsonable(added[c].to_numpy().tolist()) for c in added.columns]
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return {"predictions": rows, "warnings": jsonable(warnings)}


def score_csv(
    data: bytes, model: KeelModel, max_rows: int, explain: bool = False, background: pd.DataFrame | None = None
) -> tuple[bytes, pd.DataFrame, list[str]]:
    """The CSV ``python -m core predict MODEL FILE --out OUT.csv [--explain]`` would write for this file, byte for
    byte (``background``: the rows a linear model's contributions start from, as the CLI finds them); with the
    table read from it and the schema check's warnings."""
    from core.data import read_table

    name = "request.csv"
    table = read_table(data, name=name)
    if len(table.frame) > max_rows:
        raise TooLarge(
            f"The file has {len(table.frame):,} rows; this server takes at most {max_rows:,} in one request.",
            "Split the file into smaller files.",
        )
    report = checked(
        table.frame,
        model,
        "Use a file with the same columns as the training data (row numbers count data rows from 1, after the "
        "header). Fix or blank out the values listed, then try again.",
    )
    scored = predict_frame(table.frame, model, check=False, explain=explain, background=background)
    scored = with_cells_as_written(scored, data, table, name)
    return to_safe_csv(scored), table.frame, list(report.warnings)

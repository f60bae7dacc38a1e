"""Use a trained model: check a new table against what the model expects, score it, export it safely.

* :func:`check_schema` compares a table with the model's training schema and lists every problem
  at once: missing columns and unreadable values stop scoring (``InputError``); extra columns and
  categories the model never saw are only reported.
* :func:`predict_frame` scores a whole table (vectorised; about a million rows in seconds),
  :func:`predict_one` a single row typed into a form.
* :func:`to_safe_csv` writes the result so no cell can run as a spreadsheet formula.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.features import to_bool_float, to_category_text, to_datetime
from core.models.model import KeelModel, label_array
from core.models.registry import load_registered
from core.vocab import count, number, percent

MAX_EXAMPLES = 3
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[-+][0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[-+][0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"


@dataclass(frozen=True)
class UnseenCategories:
    column: str
    rows: int  # rows holding a category the model never saw in training
    examples: tuple[str, ...]


@dataclass(frozen=True)
class BadValues:
    column: str
    expected: str  # "numbers", "yes/no values", "dates"
    rows: int
    examples: tuple[tuple[int, str], ...]  # (row number counting data rows from 1, the value)


@dataclass(frozen=True)
class SchemaReport:
    rows: int
    missing_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    unseen: tuple[UnseenCategories, ...]
    bad_values: tuple[BadValues, ...]
    errors: tuple[str, ...]  # each stops scoring
    warnings: tuple[str, ...]  # scoring goes on, but the user should know
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class OnePrediction:
    prediction: Any
    probabilities: dict[Any, float] | None  # class -> chance, for a classifier
    sentence: str
    notes: tuple[str, ...] = ()
    cutoff: float | None = None  # the yes/no cut-off the answer followed (None: the most likely answer)


# --------------------------------------------------------------------------- checking


def _bad_examples(
    original: pd.Series, parsed: pd.Series, first_row: int = 1
) -> tuple[int, tuple[tuple[int, str], ...]]:
    bad = original.notna().to_numpy() & parsed.isna().to_numpy()
    if isinstance(original.dtype, pd.StringDtype) or pd.api.types.is_object_dtype(original):
        blank = original.astype(str).str.strip().eq("").to_numpy()
        bad &= ~blank  # an empty cell is a missing value, not a wrong one
    positions = np.flatnonzero(bad)
    examples = tuple((int(p) + first_row, str(original.iloc[p])[:40]) for p in positions[:MAX_EXAMPLES])
    return len(positions), examples


def _missing_and_extra(
    names: list[str], frame: pd.DataFrame
) -> tuple[tuple[str, ...], tuple[str, ...], list[str], list[str]]:
    """(missing columns, extra columns, the error about the missing ones, the note about the extra ones)."""
    present = set(map(str, frame.columns))
    missing = tuple(n for n in names if n not in present)
    extra = tuple(str(c) for c in frame.columns if str(c) not in set(names))
    errors, notes = [], []
    if missing:
        guesses = []
        for name in missing:
            close = difflib.get_close_matches(name, list(extra), n=1, cutoff=0.6)
            guesses.append(f"'{name}'" + (f" (is it '{close[0]}'?)" if close else ""))
        errors.append(f"The table lacks {count(len(missing), 'column')} the model needs: {', '.join(guesses)}.")
    if extra:
        shown = ", ".join(f"'{c}'" for c in extra[:8]) + (" …" if len(extra) > 8 else "")
        notes.append(
            f"{count(len(extra), 'column')} the model does not use will be kept in the output but ignored: {shown}."
        )
    return missing, extra, errors, notes


def _unreadable(name: str, kind: str, col: pd.Series, first_row: int = 1) -> BadValues | None:
    """Cells of a number, yes/no or date column that cannot be read as such."""
    if kind == "numeric":
        if pd.api.types.is_numeric_dtype(col):
            return None
        parsed, expected = pd.to_numeric(col, errors="coerce"), "numbers"
    elif kind == "boolean":
        if pd.api.types.is_bool_dtype(col):
            return None
        parsed, expected = to_bool_float(col), "yes/no values"
    else:
        if pd.api.types.is_datetime64_any_dtype(col):
            return None
        parsed, expected = to_datetime(col), "dates"
    n_bad, examples = _bad_examples(col, parsed, first_row)
    return BadValues(name, expected, n_bad, examples) if n_bad else None


def _unseen(name: str, feat: dict[str, Any], col: pd.Series) -> UnseenCategories | None:
    """Categories the model never saw in training (only when training's list of them is complete)."""
    if not (feat.get("categories") and feat.get("categories_complete", True)):
        return None
    values = to_category_text(col).dropna()  # the model's own view of the cells (7 → '7')
    new = values[~values.isin(feat["categories"])]
    if not len(new):
        return None
    return UnseenCategories(name, len(new), tuple(str(v)[:40] for v in pd.unique(new)[:MAX_EXAMPLES]))


def check_schema(
    frame: pd.DataFrame, model: KeelModel, *, raise_errors: bool = True, first_row: int = 1
) -> SchemaReport:
    """Compare ``frame`` with the columns the model was trained on.

    Errors (raise ``InputError`` listing them all when ``raise_errors``): a feature column is
    missing; a number/yes-no/date column holds values that cannot be read as such. Warnings:
    categories never seen in training (the model treats them as uncommon). Notes: extra columns.
    ``first_row``: the number of the frame's first row in the user's file (a file scored in pieces).
    """
    features = model.schema["features"]
    missing, extra, errors, notes = _missing_and_extra([f["name"] for f in features], frame)
    present = set(map(str, frame.columns))
    warns: list[str] = []
    unseen: list[UnseenCategories] = []
    bad: list[BadValues] = []
    for feat in features:
        name, kind = feat["name"], feat["kind"]
        if name not in present:
            continue
        if kind in ("numeric", "boolean", "datetime"):
            found = _unreadable(name, kind, frame[name], first_row)
            if found is not None:
                bad.append(found)
                shown = ", ".join(f"row {r}: {v!r}" for r, v in found.examples)
                errors.append(
                    f"'{name}' should hold {found.expected}, but {count(found.rows, 'value')} "
                    f"{'are' if found.rows > 1 else 'is'} not ({shown})."
                )
            continue
        item = _unseen(name, feat, frame[name])
        if item is not None:
            unseen.append(item)
            rows = f"{count(item.rows, 'row')} of '{name}' {'hold' if item.rows > 1 else 'holds'}"
            warns.append(
                f"{rows} values the model never saw in training (e.g. {', '.join(repr(e) for e in item.examples)}); "
                "it treats them as uncommon, so those predictions are less sure."
            )
    if "prediction" in present or any(c.startswith(_OUTPUT_PREFIXES) for c in present):
        notes.append("The table already has a 'prediction', 'proba_…' or 'chance_…' column; the output replaces it.")
    report = SchemaReport(
        len(frame), missing, extra, tuple(unseen), tuple(bad), tuple(errors), tuple(warns), tuple(notes)
    )
    if errors and raise_errors:
        raise InputError(
            "This table does not fit the model: " + " ".join(errors),
            "Use a file with the same columns as the training data (row numbers count data rows from 1, after "
            "the header). Fix or blank out the values listed, then try again.",
        )
    return report


# --------------------------------------------------------------------------- predicting


_OUTPUT_PREFIXES = ("proba_", "chance_")
CUTOFF_COLUMN = "cutoff"


def cutoff_of(model: KeelModel, cutoff: float | None = None) -> float | None:
    """The cut-off a yes/no model's predictions follow: ``cutoff`` when given, else the one stored with it
    (``model.cutoff``, set by :func:`core.models.load_registered`); None for other models (most likely answer)."""
    if model.task != "classification" or len(model.classes_) != 2:
        return None
    return cutoff if cutoff is not None else getattr(model, "cutoff", None)


def apply_cutoff(proba: np.ndarray, classes: tuple[Any, ...], cutoff: float | None) -> np.ndarray:
    """The answers: the second class (in sorted order) where its chance is at or above ``cutoff``, for a
    yes/no model with a cut-off; otherwise the most likely class."""
    labels = label_array(classes)
    if cutoff is None or len(classes) != 2:
        return labels[proba.argmax(axis=1)]
    return labels[(proba[:, 1] >= cutoff).astype(int)]


def predict_frame(
    frame: pd.DataFrame,
    model: KeelModel,
    *,
    check: bool = True,
    cutoff: float | None = None,
    chance_columns: bool = False,
    explain: bool = False,
    background: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The input's columns plus ``prediction`` and, for a classifier, one ``proba_<class>`` per class.

    A yes/no model with a cut-off (``cutoff``, or the one stored with it) answers the second class where its
    chance reaches the cut-off, and the output gains a ``cutoff`` column saying which; the chances are
    unchanged. ``chance_columns`` adds ``chance_<class>`` beside each ``proba_<class>`` (the same numbers, a
    plainer name for a spreadsheet). ``explain`` adds ``contribution_base`` and one ``contribution_<column>`` per
    input column (:func:`core.models.explain.explain_frame`; ``background``: rows like the training data)."""
    if check:
        check_schema(frame, model)
    out = frame.drop(
        columns=[
            c for c in frame.columns if str(c) in ("prediction", CUTOFF_COLUMN) or str(c).startswith(_OUTPUT_PREFIXES)
        ]
    )
    if model.task == "classification":
        proba = model.predict_proba(frame)
        used = cutoff_of(model, cutoff)
        added: dict[str, Any] = {"prediction": apply_cutoff(proba, model.classes_, used)}
        for j, cls in enumerate(model.classes_):
            added[f"proba_{cls}"] = proba[:, j]
        if chance_columns:
            for j, cls in enumerate(model.classes_):
                added[f"chance_{cls}"] = proba[:, j]
        if used is not None:
            added[CUTOFF_COLUMN] = used
    else:
        added = {"prediction": model.predict(frame)}
    if explain:  # a batch explained before: its old contributions are replaced, not kept beside the new ones
        features = set(model.feature_names)
        out = out.drop(columns=[c for c in out.columns if str(c).startswith("contribution_") and c not in features])
    parts = [out, pd.DataFrame(added, index=frame.index)]
    if explain:
        from core.models.explain import explain_frame

        given = proba if model.task == "classification" else added["prediction"]
        found = explain_frame(frame, model, background=background, outputs=given)
        parts.append(found.columns([str(c) for c in frame.columns]))
    return pd.concat(parts, axis=1)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def predict_one(values: dict[str, Any], model: KeelModel, *, cutoff: float | None = None) -> OnePrediction:
    """Score one row typed into a form. Empty fields are allowed: the model fills a typical value.

    A yes/no model with a cut-off (``cutoff``, or the one stored with it) answers by the cut-off, and the
    sentence says so."""
    names = model.feature_names
    empty = [n for n in names if _is_blank(values.get(n))]
    row = pd.DataFrame({n: [np.nan if n in empty else values.get(n)] for n in names})
    report = check_schema(row, model)
    notes: list[str] = []
    if empty:
        notes.append(
            f"Left empty: {', '.join(repr(n) for n in empty)}. The model fills in a typical value, "
            "so the answer is less sure."
        )
    for item in report.unseen:
        notes.append(
            f"'{item.examples[0]}' was never seen for '{item.column}' in training; the model treats it as uncommon."
        )
    target = model.target
    if model.task == "classification":
        proba = model.predict_proba(row)[0]
        probabilities = {c: float(p) for c, p in zip(model.classes_, proba)}
        used = cutoff_of(model, cutoff)
        if used is not None:
            answer = apply_cutoff(proba[None, :], model.classes_, used)[0]
            yes = model.classes_[1]
            side = "at or above" if proba[1] >= used else "below"
            sentence = (
                f"Keel predicts '{answer}' for '{target}': the chance of '{yes}' is {percent(proba[1])}, {side} the "
                f"cut-off chosen for this model ({percent(used)})."
            )
            return OnePrediction(answer, probabilities, sentence, tuple(notes), used)
        order = np.argsort(-proba)
        best = model.classes_[order[0]]
        sentence = f"Keel predicts '{best}' for '{target}', with a {percent(proba[order[0]])} chance"
        if len(order) > 1:
            sentence += f" (next most likely: '{model.classes_[order[1]]}' at {percent(proba[order[1]])})"
        return OnePrediction(best, probabilities, sentence + ".", tuple(notes))
    value = float(model.predict(row)[0])
    return OnePrediction(value, None, f"Keel predicts {number(value)} for '{target}'.", tuple(notes))


# --------------------------------------------------------------------------- exporting


def _neutralise(series: pd.Series) -> pd.Series:
    """Prefix a quote to text cells that a spreadsheet would run as a formula."""
    text = series.astype(object)
    is_str = text.map(lambda v: isinstance(v, str)) if pd.api.types.is_object_dtype(series) else series.notna()
    as_str = series.astype("string")
    risky = is_str.astype(bool).to_numpy() & as_str.str.startswith(_FORMULA_START).fillna(False).to_numpy()
    if risky.any():  # a plain number written as text ('-5', '+1.5', '-1,200.50') runs nothing
        risky &= ~as_str.str.fullmatch(_PLAIN_NUMBER).fillna(False).to_numpy()
    if not risky.any():
        return series
    out = text.copy()
    out[risky] = "'" + as_str[risky].astype(object)
    return out


def to_safe_csv(frame: pd.DataFrame, *, bom: bool = False) -> bytes:
    """CSV bytes (UTF-8) in which no text cell or header can run as a spreadsheet formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
    (the usual neutraliser). Numbers are written as numbers, so -3.5 stays -3.5. Written with
    Arrow's CSV writer (about 6x faster than pandas on big tables; text cells are quoted).
    """
    safe = frame.copy(deep=False)
    for column in safe.columns:
        col = safe[column]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if pd.api.types.is_string_dtype(col) or pd.api.types.is_object_dtype(col):
            col = _neutralise(col)
            safe[column] = col if isinstance(col.dtype, pd.StringDtype) else col.astype("string")
        elif pd.api.types.is_datetime64_any_dtype(col):
            safe[column] = col.astype(str).where(col.notna(), None)
    safe.columns = ["'" + str(c) if str(c).startswith(_FORMULA_START) else str(c) for c in safe.columns]
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if safe.shape[1] < 2:
            raise ValueError("one column: a blank cell would become a blank line, which readers skip")
        table = pa.Table.from_pandas(safe, preserve_index=False)
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(quoting_style="needed"))
        body = buffer.getvalue()
    except (ImportError, pa.ArrowException, TypeError, ValueError):  # odd tables: the slow path
        body = safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")  # quotes cells with \r or \n
    return ("\ufeff".encode("utf-8") if bom else b"") + body


# --------------------------------------------------------------------------- the CLI's predict command


def _score_file(
    model_ref: str | int,
    source: bytes | str | Path,
    out_path: str | Path | None,
    overwrite: bool = False,
    explain: bool = False,
) -> dict[str, Any]:
    from core.data.ingest import fits_in_memory, read_table
    from core.paths import output_path, write_output

    out = None
    if out_path is not None:
        out = output_path(out_path, overwrite=overwrite)
        if isinstance(source, (str, Path)) and Path(source).resolve() == out.resolve():
            raise InputError(
                f"The output file '{out.name}' is the input file; Keel will not overwrite your data.",
                "Choose another name for the output, e.g. 'scored.csv'.",
            )
    info, model = load_registered(model_ref)
    background = None
    if explain:
        from core.models.explain import background_for, needs_background

        background = background_for(info.dataset_id) if needs_background(model) else None
    if isinstance(source, (str, Path)) and not fits_in_memory(Path(source)):
        if out is None:
            raise InputError(
                f"'{Path(source).name}' is too large to print its predictions.", "Add --out scored.csv to write them."
            )
        rows, report = _score_in_pieces(Path(source), model, out, explain, background)
        return {**_summary(info, model, report), "rows": rows, "out": str(out)}
    table = read_table(source)
    report = check_schema(table.frame, model)
    scored = predict_frame(table.frame, model, check=False, explain=explain, background=background)
    scored = with_cells_as_written(scored, source, table)
    result: dict[str, Any] = {
        "rows": len(scored),
        "out": None if out is None else str(out),
        **_summary(info, model, report),
    }
    if out is None:
        result["rows"] = scored.astype(object).where(scored.notna(), None).to_dict("records")
        return result
    write_output(out, to_safe_csv(scored))
    return result


def _summary(info: Any, model: KeelModel, report: SchemaReport) -> dict[str, Any]:
    return {
        "model": info.brief(),
        "warnings": list(report.warnings),
        "notes": list(report.notes),
        "cutoff": _cutoff_json(model),
    }


#: rows scored at a time when a file is too large to read at once
PIECE_ROWS = 200_000


def _score_in_pieces(
    path: Path, model: KeelModel, out: Path, explain: bool, background: Any
) -> tuple[int, SchemaReport]:
    """Score a file too large to read at once, a piece at a time, into ``out`` (through a temporary file: a
    failure in any piece leaves no partial output). Every piece is checked against the model first; the
    report names rows by their number in the whole file. Returns the rows scored and the combined report."""
    from core.data.ingest import read_in_pieces, read_table
    from core.data.ingest.large import skipped_words
    from core.paths import write_output

    rows, skipped, reports = 0, 0, []

    def write(fh: Any) -> None:
        nonlocal rows, skipped
        header = b""
        for data, first, skipped_so_far in read_in_pieces(path, path.name, rows=PIECE_ROWS):
            table = read_table(data, name=path.name)
            reports.append(check_schema(table.frame, model, first_row=first))
            scored = predict_frame(table.frame, model, check=False, explain=explain, background=background)
            written = with_cells_as_written(scored, data, table, path.name)
            body = to_safe_csv(written)
            if not header:  # the first piece writes the header line; the others only their rows
                header = to_safe_csv(written.iloc[:0])
                fh.write(body)
            else:
                fh.write(body[len(header) :] if body.startswith(header) else body.split(b"\n", 1)[1])
            rows, skipped = rows + len(scored), skipped_so_far

    write_output(out, write)
    warnings = tuple(dict.fromkeys(w for r in reports for w in r.warnings))
    notes = tuple(dict.fromkeys(n for r in reports for n in r.notes)) + ((skipped_words(skipped),) if skipped else ())
    first = reports[0]
    report = SchemaReport(rows, first.missing_columns, first.extra_columns, (), (), (), warnings, notes)
    return rows, report


def _cutoff_json(model: KeelModel) -> dict[str, Any] | None:
    """Which cut-off the predictions followed: its value and the answer it is the chance of (None: the most
    likely answer)."""
    used = cutoff_of(model)
    if used is None:
        return None
    return {"value": used, "positive_class": model.classes_[1]}


def with_cells_as_written(
    scored: pd.DataFrame, source: bytes | str | Path, table: Any, name: str | None = None
) -> pd.DataFrame:
    """The user's own cells ('1.50', '>3', '6-Aug-09') with the prediction columns added.

    The model reads the converted table ('>3' is no number, so it is missing to the model); the
    file Keel writes must not change the user's data, so its input columns are read again as text.
    """
    from core.data.ingest import read_table

    if table.format != "csv":
        return scored  # typed files keep their own types
    raw = read_table(source, name, as_text=True).frame
    if list(raw.columns) != list(table.frame.columns) or len(raw) != len(scored):
        return scored  # cannot happen for one file; never risk misaligned rows
    raw = raw.drop(
        columns=[
            c for c in raw.columns if str(c) in ("prediction", CUTOFF_COLUMN) or str(c).startswith(_OUTPUT_PREFIXES)
        ]
    )
    added = [c for c in scored.columns if c not in raw.columns]
    return pd.concat([raw.set_axis(scored.index), scored[added]], axis=1)


def predict_command(
    model_ref: str | int,
    source: bytes | str | Path,
    out_path: str | Path | None,
    overwrite: bool = False,
    explain: bool = False,
) -> dict[str, Any]:
    """The CLI's ``predict --json`` object: ``rows``, ``out``, plus ``model``, ``warnings``, ``notes``.

    Without ``out_path`` nothing is written and ``rows`` holds the scored rows (a list of objects)
    instead of their count. ``explain`` adds the contribution columns (:func:`predict_frame`).
    """
    return _score_file(model_ref, source, out_path, overwrite, explain)


def score_upload(data: bytes, name: str, model_ref: str | int) -> tuple[SchemaReport, pd.DataFrame | None]:
    """Read an uploaded file and score it with a registered model (meant to run in a worker process).

    Returns the schema report and, when it has no errors, the scored table.
    """
    from core.data.ingest import read_table

    _, model = load_registered(model_ref)
    table = read_table(data, name=name)
    report = check_schema(table.frame, model, raise_errors=False)
    if not report.ok:
        return report, None
    return report, with_cells_as_written(predict_frame(table.frame, model, check=False), data, table, name)

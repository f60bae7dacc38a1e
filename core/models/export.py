"""A trained model as a script or notebook anyone can rerun: the same data, columns, candidates, split and seed.

:func:`export_model` writes, for a registered model, a Python script (``--script``) or a Jupyter notebook
(``--notebook``, nbformat) that goes through ``core``'s public API only:

1. reads the dataset the model learned from out of Keel's store by its id (``core.store.load_dataset``, which
   checks its fingerprint): the very table training saw, after the fixes and the personal-data handling that
   were applied before it was stored. The script needs the same ``KEEL_HOME``; it says so and stops with a
   clear message when the dataset is not there. (Keel never writes a copy of the data next to the script:
   it may hold masked personal data the user did not mean to hand out with a notebook.)
2. trains the same candidates with the same columns (``include`` / ``exclude`` pin the exact list), the same
   split and the same seed (``core.models.train.train``), with a time budget large enough that no candidate
   is cut short;
3. prints the leaderboard and, on the last line of its output, the hold-out metrics as one JSON object, which
   match the ones Keel stored for the model.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import store
from core.errors import InputError
from core.models.candidates import is_baseline, label

REPRODUCE_BUDGET_S = 24 * 3600.0  # never the reason a candidate is skipped


@dataclass(frozen=True)
class Recipe:
    """What a reproduction needs to know about a registered model."""

    model: str  # "name:version"
    dataset_id: int
    dataset: str  # its label and fingerprint, for the reader
    target: str
    task: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    split: str
    date_column: str | None
    seed: int
    candidates: tuple[str, ...]
    metrics: dict[str, Any]


def recipe_for(model_ref: str | int) -> Recipe:
    """The recipe of a registered model (InputError when the model or its dataset is no longer in the store)."""
    info = store.resolve_model(model_ref)
    params = info.params or {}
    if info.dataset_id is None or "features" not in params:
        raise InputError(
            f"Model {info.label} was not trained from a dataset Keel keeps, so there is nothing to rerun.",
            "Train it again from a file (python -m core train FILE --target COL), then export the new version.",
        )
    dataset = store.get_dataset(info.dataset_id)
    used = [str(c) for c in params["features"]]
    others = [c for c in dataset.columns if c not in used and c != info.target]
    ran = [
        str(row["algorithm"])
        for row in params.get("leaderboard", [])
        if not is_baseline(str(row["algorithm"])) and any(v is not None for v in (row.get("metrics") or {}).values())
    ]
    return Recipe(
        model=info.label,
        dataset_id=dataset.id,
        dataset=f"{dataset.label}, SHA-256 {dataset.sha256[:12]}…",
        target=info.target,
        task=info.task,
        include=tuple(used),
        exclude=tuple(others),
        split=str(params.get("split_kind") or "auto"),
        date_column=params.get("date_column"),
        seed=int(params.get("seed") or 0),
        candidates=tuple(ran),
        metrics=dict(info.metrics),
    )


# --------------------------------------------------------------------------- the steps, in words and code


def _steps(r: Recipe) -> list[tuple[str, str]]:
    """(markdown, code) per step; the script puts the words in comments, the notebook in markdown cells."""
    names = ", ".join(label(c) for c in r.candidates) or "none besides the baseline"
    return [
        (
            f"# Reproduce Keel model `{r.model}`\n\n"
            f"This reruns what Keel did to train `{r.model}`: the same table, the same columns, the same "
            f"candidate models, the same split into training and test rows, the same seed. Its last line is the "
            f"hold-out scores as one JSON object; they should equal the ones Keel shows for the model.\n\n"
            "It runs with the Python that has Keel installed, and the same `KEEL_HOME` (where Keel keeps "
            "your data).",
            "import json\nimport sys\n\nfrom core import store\nfrom core.models import train\nfrom core.vocab import jsonable",
        ),
        (
            f"## 1. The data\n\nThe table the model learned from is dataset {r.dataset_id} in Keel's store "
            f"({r.dataset}). It is read as stored: after any fixes and personal-data handling you chose. "
            "Keel checks its fingerprint, so a changed file is refused.",
            f"DATASET_ID = {r.dataset_id!r}\n"
            "try:\n"
            "    frame = store.load_dataset(DATASET_ID)\n"
            "except Exception as exc:  # the store on this machine does not hold it\n"
            '    sys.exit(f"Dataset {DATASET_ID} is not in this Keel store ({exc}). Run this where the model was '
            'trained, or set KEEL_HOME to that folder.")\n'
            'print(f"{len(frame):,} rows, {frame.shape[1]} columns")',
        ),
        (
            f"## 2. The columns and the split\n\nThe model predicts `{r.target}` ({r.task}). It learns from "
            f"{len(r.include)} columns; the others are left out, as Keel decided (or you asked). "
            f"The rows are split the `{r.split}` way with seed {r.seed}.",
            f"TARGET = {r.target!r}\nTASK = {r.task!r}\nUSE = {list(r.include)!r}\nLEAVE_OUT = {list(r.exclude)!r}\n"
            f"SPLIT = {r.split!r}\nDATE_COLUMN = {r.date_column!r}\nSEED = {r.seed!r}",
        ),
        (
            f"## 3. Training and comparing candidates\n\nKeel compares the candidates ({names}) with the "
            "baseline, which ignores the columns, on folds of the training rows, keeps the best, and trains it "
            "on all training rows.",
            f"CANDIDATES = {list(r.candidates)!r}\n"
            "result = train.train(\n"
            "    frame, TARGET, task=TASK, include=USE, exclude=LEAVE_OUT, split=SPLIT, date_column=DATE_COLUMN,\n"
            f"    time_budget_s={REPRODUCE_BUDGET_S!r}, seed=SEED, candidates=CANDIDATES,\n"
            ")\n"
            "for row in result.leaderboard:\n"
            "    print(row.algorithm, json.dumps(jsonable(row.metrics)))",
        ),
        (
            "## 4. How well it does on rows it never saw\n\nThe test rows were kept apart from the start; "
            "these scores are the honest ones.",
            "print(json.dumps(jsonable(result.holdout_metrics), allow_nan=False))",
        ),
    ]


def forecast_steps(forecast_id: int) -> list[tuple[str, str]]:
    """A kept forecast's reproduction (issue 20): the same stored table, series, settings and calendar through
    ``core.forecasting.forecast``; its last line is each series' chosen method and backtest scores as JSON,
    which match the ones Keel kept with the forecast."""
    kept = store.get_forecast(forecast_id)
    p = kept.params
    if kept.dataset_id is None:
        raise InputError(
            f"Forecast {forecast_id} was not made from a dataset Keel keeps, so there is nothing to rerun.",
            "Forecast the table again from the Forecast page, then export that forecast.",
        )
    dataset = store.get_dataset(kept.dataset_id)
    settings = {k: p.get(k) for k in ("horizon", "level", "season", "fill", "aggregate_to")}
    calendar = {k: p.get(k) or None for k in ("holidays", "drivers", "stockout")}
    return [
        (
            f"# Reproduce Keel forecast {forecast_id}\n\n"
            "This reruns what Keel did: the same table, the same series, the same settings and calendar. Keel "
            "tries several forecasting methods on each series, checks each on the last stretches of history it "
            "already knows (the backtest), and keeps the best. Its last line is each series' chosen method and "
            "backtest scores as one JSON object; they should equal the ones Keel kept with the forecast.\n\n"
            "It runs with the Python that has Keel installed, and the same `KEEL_HOME`.",
            "import json\nimport sys\n\nimport pandas as pd\n\nfrom core import store\n"
            "from core.forecasting import forecast, forecast_families\nfrom core.forecasting.timeseries import long_format",
        ),
        (
            f"## 1. The data\n\nThe table is dataset {dataset.id} in Keel's store ({dataset.label}, SHA-256 "
            f"{dataset.sha256[:12]}…), read as stored. Each series is one product (or the whole table).",
            f"DATASET_ID = {dataset.id!r}\n"
            "try:\n"
            "    table = store.load_dataset(DATASET_ID)\n"
            "except Exception as exc:  # the store on this machine does not hold it\n"
            '    sys.exit(f"Dataset {DATASET_ID} is not in this Keel store ({exc}). Set KEEL_HOME to the folder '
            'where the forecast was made.")\n'
            f"DATE, VALUE, ID, IDS = {p.get('date')!r}, {p.get('value')!r}, {p.get('id')!r}, {list(p.get('ids') or [])!r}\n"
            "frame, value, key = long_format(table, DATE, VALUE, ID)\n"
            "if key is not None and IDS:\n"
            "    frame = frame[frame[key].astype(str).isin(set(IDS))]",
        ),
        (
            "## 2. The forecast and its backtest\n\nThe same horizon, interval, season and treatment of gaps, "
            "and what you told Keel about your calendar (holidays, events, drivers, stock-outs).",
            f"SETTINGS = {settings!r}\nCALENDAR = {calendar!r}\nEVENTS = {p.get('events')!r}\n"
            + (
                f"# the family totals reconciled with the products (Keel kept the products' reconciled forecast)\n"
                f"FAMILY = {p['family']!r}\n"
                "result = forecast_families(\n"
                "    frame, DATE, value, key, FAMILY, **SETTINGS,\n"
                "    events=None if EVENTS is None else pd.DataFrame(EVENTS), **CALENDAR,\n"
                ").products\n"
                if p.get("family")
                else "result = forecast(\n"
                "    frame, date=DATE, value=value, id=key, **SETTINGS,\n"
                "    events=None if EVENTS is None else pd.DataFrame(EVENTS), **CALENDAR,\n"
                ")\n"
            )
            + "for s in result.series:\n"
            "    print(s.id, s.model_label, 'backtest:', json.dumps(s.backtest.to_json()))",
        ),
        (
            "## 3. What to compare\n\nEach series' chosen method and its backtest scores.",
            "scores = {str(s.id): {'model': s.model, **s.backtest.to_json()} for s in result.series}\n"
            "print(json.dumps(scores, allow_nan=False))",
        ),
    ]


def kept_forecast_scores(forecast_id: int) -> dict[str, Any]:
    """The scores a reproduction of a kept forecast prints last: {series id: {model, backtest scores…}}."""
    series = store.get_forecast(forecast_id).result.get("series", [])
    return {str(s.get("id")): {"model": s.get("model"), **(s.get("backtest") or {})} for s in series}


def script_text(r: Recipe | list[tuple[str, str]]) -> str:
    """The steps as one Python script; the words become comments."""
    parts = []
    for words, code in _steps(r) if isinstance(r, Recipe) else r:
        lines: list[str] = []
        for line in words.splitlines():
            text = line.lstrip("# ")
            lines += ["# " + part for part in textwrap.wrap(text, 100)] if text else ["#"]
        parts.append("\n".join(lines) + f"\n{code}\n")
    return "\n\n".join(parts)


def notebook_json(r: Recipe | list[tuple[str, str]]) -> str:
    import nbformat

    cells = []
    for words, code in _steps(r) if isinstance(r, Recipe) else r:
        cells += [nbformat.v4.new_markdown_cell(words), nbformat.v4.new_code_cell(code)]
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return str(nbformat.writes(book))


def export_content(model_ref: str | int | None, kind: str, *, forecast_id: int | None = None) -> bytes:
    """The reproduction as bytes, for a download button (``kind``: "notebook" or "script"); nothing is written.
    ``forecast_id`` (with no model): a kept forecast's reproduction."""
    if kind not in ("notebook", "script"):
        raise InputError(f"Keel exports a notebook or a script, not '{kind}'.", "Choose 'notebook' or 'script'.")
    if forecast_id is not None:
        steps = forecast_steps(forecast_id)
        return (notebook_json(steps) if kind == "notebook" else script_text(steps)).encode("utf-8")
    assert model_ref is not None
    recipe = recipe_for(model_ref)
    return (notebook_json(recipe) if kind == "notebook" else script_text(recipe)).encode("utf-8")


def export_model(
    model_ref: str | int | None,
    *,
    notebook: str | Path | None = None,
    script: str | Path | None = None,
    overwrite: bool = False,
    forecast_id: int | None = None,
) -> dict[str, Any]:
    """Write the reproduction; returns the CLI's JSON object (``model``, ``out``, ``kind``, ``dataset_id``, ``metrics``).

    With ``forecast_id`` (and no model) the reproduction of a forecast Keel kept: ``forecast``, ``out``,
    ``kind``, ``dataset_id`` and ``scores`` (each series' chosen method and backtest scores)."""
    from core.paths import output_path, write_output

    if (notebook is None) == (script is None):
        raise InputError(
            "Say whether to write a notebook or a script.",
            "Add --notebook analysis.ipynb or --script analysis.py (one of the two).",
        )
    if (model_ref is None) == (forecast_id is None):
        raise InputError(
            "Say which model or which forecast to export.",
            "Give a model (export MODEL --script rerun.py) or a forecast (export --forecast ID --script rerun.py).",
        )
    kind = "notebook" if notebook is not None else "script"
    out = output_path(notebook if notebook is not None else str(script), overwrite=overwrite, what=f"{kind} file")
    if forecast_id is not None:
        steps = forecast_steps(forecast_id)
        write_output(out, (notebook_json(steps) if kind == "notebook" else script_text(steps)).encode("utf-8"))
        kept = store.get_forecast(forecast_id)
        return {
            "forecast": forecast_id,
            "out": str(out),
            "kind": kind,
            "dataset_id": kept.dataset_id,
            "scores": kept_forecast_scores(forecast_id),
        }
    assert model_ref is not None
    recipe = recipe_for(model_ref)
    write_output(out, (notebook_json(recipe) if kind == "notebook" else script_text(recipe)).encode("utf-8"))
    return {
        "model": recipe.model,
        "out": str(out),
        "kind": kind,
        "dataset_id": recipe.dataset_id,
        "metrics": json.loads(json.dumps(recipe.metrics, default=str)),
    }

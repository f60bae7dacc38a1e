"""``card`` and ``cutoff``: what a person writes about a model, and the cut-off a yes/no model answers with.

``card MODEL`` shows the card's written fields, ``--set FIELD=TEXT`` writes them (an empty text clears one),
``--out FILE.html|.md`` exports the card. ``cutoff MODEL VALUE`` keeps a chosen cut-off with the model
(predictions and monitoring follow it); ``--clear`` goes back to the likelier answer; no value shows it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli.common import AddCommand
from core.errors import InputError

if TYPE_CHECKING:
    from core.store import ModelInfo

# The question each written field answers, in the card's order (the same questions as on 'My models').
QUESTIONS = {
    "intended_use": "What is it for?",
    "not_for": "What must it not be used for?",
    "limitations": "What are its known limits?",
    "owner": "Who looks after it?",
    "notes": "Anything else a reader should know?",
}


def _model_json(info: ModelInfo) -> dict[str, Any]:
    return {"id": info.id, "name": info.name, "version": info.version, "task": info.task, "stage": info.stage}


def _yes_answer(info: ModelInfo) -> str:
    classes = [str(c) for c in info.params.get("classes") or []]
    return classes[-1] if classes else "yes"


def cut_off_sentence(info: ModelInfo) -> str:
    """The model's cut-off in one plain sentence."""
    from core.vocab import percent

    yes = _yes_answer(info)
    if info.threshold is None:
        return f"{info.label} answers with the likelier answer (it says '{yes}' from a chance of {percent(0.5, 0)})."
    return (
        f"{info.label} answers '{yes}' when its chance of '{yes}' is at least {percent(info.threshold, 0)} "
        "(a cut-off you chose)."
    )


def _parse_sets(items: list[str]) -> dict[str, str]:
    from core.store import CARD_FIELDS

    fields: dict[str, str] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_").lower()
        if not sep or not key:
            raise InputError(
                f"'{item}' does not say which field to write.",
                'Write it as FIELD=TEXT, e.g. --set intended_use="Flag customers likely to leave".',
            )
        if key not in CARD_FIELDS:
            raise InputError(f"The model card has no field '{key}'.", f"Use one of: {', '.join(CARD_FIELDS)}.")
        fields[key] = text
    return fields


def _markdown(info: ModelInfo) -> str:
    from core.vocab import format_metric, metric_label

    lines = [f"# Model card: {info.name} — version {info.version}", ""]
    lines += [f"- **Predicts:** {info.target}", f"- **Task:** {info.task}", f"- **Stage:** {info.stage}"]
    lines += [f"- **Created:** {info.created_at}"]
    if info.task == "classification" and len(info.params.get("classes") or []) == 2:
        lines.append(f"- **Cut-off:** {cut_off_sentence(info)}")
    for key, question in QUESTIONS.items():
        text = info.card.get(key)
        lines += ["", f"## {question}", "", text if text else "_Not written yet._"]
    metrics = {k: v for k, v in info.metrics.items() if isinstance(v, (int, float))}
    if metrics:
        lines += ["", "## How well it did on rows it had not seen", ""]
        lines += [f"- {metric_label(k)}: {format_metric(k, v)}" for k, v in metrics.items()]
    return "\n".join(lines) + "\n"


def _export(info: ModelInfo, raw: str, overwrite: bool) -> Path:
    from core import workflows
    from core.paths import output_path, write_output

    suffix = Path(raw).suffix.lower()
    if suffix not in (".html", ".htm", ".md"):
        raise InputError(
            f"Keel writes a model card as HTML or Markdown, not '{suffix or 'a file without an ending'}'.",
            "End the file name with .html or .md, e.g. --out model-card.html.",
        )
    path = output_path(raw, overwrite=overwrite, what="model card")
    text = _markdown(info) if suffix == ".md" else workflows.model_card(info)
    return write_output(path, text.encode("utf-8"))


def cmd_card(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store

    info = store.resolve_model(args.model)
    fields = _parse_sets(args.set)
    if fields:
        info = store.update_card(info.id, fields)
    out_path = _export(info, args.out, args.overwrite) if args.out else None
    card = {key: info.card.get(key) for key in store.CARD_FIELDS}
    missing = [key for key, text in card.items() if not text]
    out = {
        "model": _model_json(info),
        "card": card,
        "missing": missing,
        "updated": sorted(fields),
        "threshold": info.threshold,
        "out": None if out_path is None else str(out_path),
    }
    lines = [f"Model card of {info.label} (predicts '{info.target}')"]
    if fields:
        lines.append(f"saved: {', '.join(sorted(fields))}")
    for key, question in QUESTIONS.items():
        lines.append(f"  {question} [{key}]")
        lines.append(f"    {card.get(key) or '(not written yet)'}")
    if missing:
        lines.append(f'write a field with: python -m core card {info.label} --set {missing[0]}="…"')
    if out_path is not None:
        lines.append(f"card written to {out_path}")
    return out, "\n".join(lines)


def _cut_off_value(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise InputError(
            f"'{text}' is not a cut-off.",
            "Give a chance between 0 and 1 (e.g. 0.3), or --clear to go back to the likelier answer.",
        ) from None
    if not 0.0 < value < 1.0:
        raise InputError(
            f"A cut-off must be a chance between 0 and 1 (not {text}).",
            "Choose one between 0 and 1, e.g. 0.3 to say yes more often, 0.7 to say it less often.",
        )
    return value


def cmd_cutoff(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store

    if args.value is not None and args.clear:
        raise InputError("Give a cut-off or --clear, not both.", "E.g. `cutoff churn 0.3`, or `cutoff churn --clear`.")
    value = None if args.value is None else _cut_off_value(args.value)
    info = store.resolve_model(args.model)
    changed = value is not None or args.clear
    if changed:
        info = store.set_threshold(info.id, value, reason=args.reason or "set with `python -m core cutoff`")
    elif info.task != "classification" or len(info.params.get("classes") or []) != 2:
        raise InputError(
            f"Model {info.label} does not answer yes or no, so it has no cut-off.",
            "A cut-off applies to models that choose between two answers.",
        )
    sentence = cut_off_sentence(info)
    out = {
        "model": _model_json(info),
        "threshold": info.threshold,
        "positive_class": _yes_answer(info),
        "changed": changed,
        "sentence": sentence,
    }
    text = sentence
    if changed:
        text += " Predictions and monitoring use it from now on."
    return out, text


def add_card(command: AddCommand) -> None:
    p = command("card", cmd_card, "Show, write or export a model's card (its intended use, limits, owner).")
    p.add_argument("model", help="id, name (the version in use), name:version or name@champion")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=TEXT",
        help="write one field (intended_use, not_for, limitations, owner, notes); an empty TEXT clears it; repeatable",
    )
    p.add_argument("--out", default=None, help="export the card to FILE.html or FILE.md (refused if it exists)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it already exists")


def add_cutoff(command: AddCommand) -> None:
    p = command("cutoff", cmd_cutoff, "Show or set the cut-off a yes/no model answers with.")
    p.add_argument("model", help="id, name (the version in use), name:version or name@champion")
    p.add_argument("value", nargs="?", default=None, help="a chance between 0 and 1 (e.g. 0.3); omit it to see it")
    p.add_argument("--clear", action="store_true", help="go back to the likelier answer (no cut-off)")
    p.add_argument("--reason", default="", help="why (kept in the model's history)")

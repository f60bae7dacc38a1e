"""The words of an alert: which model, what changed, what Keel recommends, and a link to the page.

A message holds numbers and column names only, never a row of data: its sentences come from the triggers'
details and the gate's reason, which Keel writes from statistics, and from the names of the columns that moved.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from core.vocab import count

MAX_COLUMNS_NAMED = 8
PAGES = {"monitor": "Monitor", "gate": "Models"}


def public_url() -> str:
    """Where people open Keel (``KEEL_PUBLIC_URL``, e.g. https://keel.example.org); localhost by default."""
    return (os.environ.get("KEEL_PUBLIC_URL", "").strip() or "http://localhost:8501").rstrip("/")


def page_link(kind: str) -> str:
    return f"{public_url()}/{PAGES.get(kind, 'Monitor')}"


def _label(model: Mapping[str, Any]) -> str:
    version = model.get("version")
    return f"'{model.get('name')}'" + (f" (version {version})" if version is not None else "")


# --------------------------------------------------------------------------- composing


def _drift_sentence(drift: Mapping[str, Any] | None) -> str:
    if not drift:
        return ""
    moved = [str(c.get("column")) for c in drift.get("columns") or [] if c.get("drifted")]
    if not moved:
        return ""
    named = ", ".join(f"'{c}'" for c in moved[:MAX_COLUMNS_NAMED])
    more = f" and {count(len(moved) - MAX_COLUMNS_NAMED, 'more')}" if len(moved) > MAX_COLUMNS_NAMED else ""
    return f"Columns whose values moved: {named}{more}."


def monitor_message(result: Mapping[str, Any]) -> dict[str, Any]:
    """The message for a monitored batch (its ``to_json()``): which model, what changed, what Keel recommends."""
    model = dict(result.get("model") or {})
    action = str(result.get("action") or "none")
    triggers = [t for t in result.get("triggers") or [] if t.get("alerting", t.get("fired"))]
    changes = [str(t.get("detail") or "") for t in triggers if t.get("detail")]
    drift_line = _drift_sentence(result.get("drift"))
    if drift_line:
        changes.append(drift_line)
    name = model.get("name")
    if action == "retrain":
        headline = f"Retrain recommended for model {_label(model)}"
        recommendation = (
            f"Keel recommends retraining '{name}' with recent data whose real outcomes are known: on the Monitor "
            f"page choose Retrain, or run `python -m core retrain {name}@champion FILE --labels COLUMN`. The new "
            "version is used only if it does better on the newest rows."
        )
    else:
        headline = f"Model {_label(model)} needs a look"
        recommendation = (
            "Keel recommends a look: open the Monitor page to see what moved and whether the answers still look "
            "right. Nothing has to change yet."
        )
    return {
        "kind": "monitor",
        "model": {"id": model.get("id"), "name": name, "version": model.get("version")},
        "batch_id": result.get("batch_id"),
        "rows": result.get("rows"),
        "action": action,
        "headline": headline,
        "changes": changes or [str(result.get("headline") or "")],
        "recommendation": recommendation,
        "link": page_link("monitor"),
    }


def gate_message(outcome: Any) -> dict[str, Any]:
    """The message for a retrain gate's decision (a ``core.workflows.RetrainOutcome``)."""
    challenger, champion, decision = outcome.challenger, outcome.champion, outcome.decision
    name = challenger.name
    old = f"version {champion.version}" if champion is not None else "the version in use"
    if decision.decision == "promote":
        headline = f"Model '{name}': the retrained version {challenger.version} is now in use"
        recommendation = (
            f"Nothing to do. If the new version misbehaves, `python -m core rollback {name}` brings back {old}."
        )
    else:
        headline = f"Model '{name}': retrained, but {old} stays in use"
        recommendation = (
            f"Nothing to do: the retrained version {challenger.version} did not do better, so it is kept as a "
            "candidate on the Models page."
        )
    return {
        "kind": "gate",
        "model": {"id": challenger.id, "name": name, "version": challenger.version},
        "batch_id": None,
        "rows": getattr(outcome, "holdout_rows", None),
        "action": decision.decision,
        "headline": headline,
        "changes": [str(decision.reason)],
        "recommendation": recommendation,
        "link": page_link("gate"),
    }


def message_text(body: Mapping[str, Any]) -> str:
    """The message as plain text (an e-mail's body, a chat message)."""
    lines = [str(body.get("headline") or "Keel alert"), ""]
    changes = [c for c in body.get("changes") or [] if c]
    if changes:
        lines.append("What changed:")
        lines += [f"- {c}" for c in changes]
        lines.append("")
    lines.append(f"What Keel recommends: {body.get('recommendation') or ''}")
    lines.append("")
    lines.append(f"Open Keel: {body.get('link') or page_link('monitor')}")
    return "\n".join(lines)

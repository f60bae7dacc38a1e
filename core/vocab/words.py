"""Words Keel uses everywhere: yes/no spellings it understands, what column kinds and severities mean,
and the glossary a user can open from any number."""

from __future__ import annotations

from typing import Any

#: Spellings read as yes / no (lower case), in the languages Keel's users write spreadsheets in.
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0", "ja", "j", "oui", "si", "sí", "wahr"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0", "nein", "non", "falsch"})


def yes_no(value: Any) -> bool | None:
    """True or False for a yes/no value written in any of :data:`TRUE_WORDS` / :data:`FALSE_WORDS`
    (or a bool, or 1/0); None for anything else."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


KIND_WORDS: dict[str, str] = {
    "numeric": "Numbers you can add up or compare (prices, ages, counts).",
    "categorical": "A label from a short list (region, product type, plan).",
    "boolean": "Yes/no values.",
    "datetime": "Dates or times.",
    "id_like": "A code that is different on every row (customer number). Useful to look rows up, "
    "useless for predicting: models leave it out.",
    "text": "Free text (comments, descriptions).",
    "constant": "The same value on every row, so it tells a model nothing.",
}

SEVERITY_WORDS: dict[str, tuple[str, str]] = {
    "critical": ("Fix before training", "These will make a model wrong or misleading."),
    "warning": ("Worth a look", "These may hurt a model or your conclusions."),
    "info": ("Good to know", "Nothing is broken; this helps you read your data."),
}

GLOSSARY: dict[str, str] = {
    "baseline": "The simplest possible guess (e.g. always the most common answer). A model is only useful if "
    "it beats it.",
    "hold-out": "Rows kept aside during training and used only to test the model, like an exam the model has not seen.",
    "leakage": "A column that gives away the answer (it is only known after the fact). It makes a model look "
    "great in testing and fail in real use.",
    "drift": "New data that looks different from the data the model learned from.",
    "calibration": "Whether the model's confidence can be taken at face value: when it says 80%, is it right "
    "about 8 times in 10?",
    "PII": "Personal data that identifies someone (email, phone, card number, name).",
    "champion": "The version of a model that is in use: predictions by the model's name use it.",
    "candidate": "A newer version kept beside the one in use, until you (or a retrain check) promote it.",
}


def exposure_warning(address: str | None, behind_auth: bool = False) -> str | None:
    """A plain warning when the server listens beyond this machine with no login in front of it."""
    local = {"127.0.0.1", "localhost", "::1"}
    if behind_auth or (address or "").strip() in local:
        return None
    where = (address or "").strip() or "every network interface"
    return (
        f"Keel is listening on {where}, so other computers on your network can open it — and there is no "
        "login. Anyone who can reach it can see and delete your data. Run it on 127.0.0.1 (the default in "
        ".streamlit/config.toml), or put it behind a login first (see README, Security notes). If it is "
        "already behind one, set KEEL_BEHIND_AUTH=1 to hide this message."
    )


def explain_stage(stage: str, name: str) -> str:
    """One sentence on what a newly kept model's stage means for the user."""
    if stage == "champion":
        return f"It is the first model named '{name}', so it is now the one in use: predictions by that name use it."
    return (
        f"The version in use stays as it is until you choose this one on My models (or a retrain check "
        f"promotes it); '{name}@champion' names the one in use."
    )

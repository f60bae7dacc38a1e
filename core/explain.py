"""Plain-language text: what things mean, in words a shop owner understands."""

from __future__ import annotations

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
    "baseline": "The simplest possible guess (e.g. always the most common answer). "
    "A model is only useful if it beats it.",
    "hold-out": "Rows kept aside during training and used only to test the model, like an exam "
    "the model has not seen.",
    "leakage": "A column that gives away the answer (it is only known after the fact). "
    "It makes a model look great in testing and fail in real use.",
    "drift": "New data that looks different from the data the model learned from.",
    "calibration": "Whether the model's confidence can be taken at face value: when it says 80 %, "
    "is it right about 8 times in 10?",
    "MAE": "Typical error: on average, how far predictions are from the truth, in the column's units.",
    "MASE": "Forecast error compared with simply repeating last season. Below 1 means better than that.",
    "PII": "Personal data that identifies someone (email, phone, card number, name).",
}


def explain_kind(kind: str) -> str:
    return KIND_WORDS.get(kind, kind)


def minutes_text(stamps: "pd.Series | str") -> "pd.Series | str":
    """Stored time stamps ('2026-11-27T19:25:40.999512+00:00') as a person reads them: '2026-11-27 19:25' (UTC).
    A column in, a column out; one stamp in, one text out."""
    import pandas as pd

    if isinstance(stamps, str):
        t = pd.Timestamp(stamps)
        return (t.tz_convert("UTC") if t.tzinfo else t).strftime("%Y-%m-%d %H:%M")
    return pd.to_datetime(stamps, utc=True, format="ISO8601").dt.strftime("%Y-%m-%d %H:%M")


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural_word or word + 's')}"


METRIC_NAMES: dict[str, str] = {
    "accuracy": "Right answers",
    "balanced_accuracy": "Right answers, each group counted equally",
    "f1_macro": "F1 score (catching vs. false alarms)",
    "roc_auc": "Ranking quality (ROC AUC)",
    "pr_auc": "Precision-recall quality",
    "log_loss": "Log loss (lower is better)",
    "brier": "Brier score (lower is better)",
    "ece": "Calibration error (lower is better)",
    "mae": "Typical error (MAE)",
    "rmse": "Typical error, big misses weigh more (RMSE)",
    "r2": "Share of ups and downs explained (R²)",
}


def metric_name(key: str) -> str:
    return METRIC_NAMES.get(key, key.replace("_", " "))


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
        return (f"It is the first model named '{name}', so it is now the one in use: predictions by that name "
                "use it.")
    return (f"The version in use stays as it is until you choose this one on My models (or a retrain check "
            f"promotes it); '{name}@champion' names the one in use.")

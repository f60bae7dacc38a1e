"""Numbers written as text: thousands separators, decimal commas, currencies, percentages,
parentheses for negatives, infinity. Codes with leading zeros and zip codes stay text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.notes import failure_note
from core.data.ingest.source import CONVERT_SHARE
from core.data.ingest.values import DIGITS_TO_NINE, Outcome, Prepared, too_many_misses

_INFINITY_WORDS = frozenset(["inf", "infinity"])


_CURRENCY_SYMBOLS = "$€£¥₹₩₽"
_CURRENCY_CODES = (
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "CNY",
    "INR",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "HKD",
    "SGD",
    "ZAR",
    "BRL",
    "MXN",
)
_CODES_RE = "|".join(_CURRENCY_CODES)
_SEPARATORS = {".": ",\u00a0\u202f ' ", ",": ".\u00a0\u202f '"}


def _number_pattern(decimal: str) -> re.Pattern[str]:
    seps = re.escape(_SEPARATORS[decimal].replace(" ", "")) + " "
    d = re.escape(decimal)
    return re.compile(
        rf"^(?:(?P<grouped>\d{{1,3}}(?P<sep>[{seps}])\d{{3}}(?:(?P=sep)\d{{3}})*)|(?P<plain>\d+))?"
        rf"(?:{d}(?P<frac>\d+))?(?P<exp>[eE][+-]?\d+)?$"
    )


_NUMBER_PATTERNS = {".": _number_pattern("."), ",": _number_pattern(",")}


@dataclass(frozen=True)
class _NumberShape:
    currency: str | None
    currency_lead: bool
    sign_before_currency: bool
    percent: bool
    parens: bool
    sep: str | None
    fraction: bool
    leading_zero: bool


def _number_shape(value: str, decimal: str) -> _NumberShape | None:
    s = value
    parens = s.startswith("(") and s.endswith(")")
    if parens:
        s = s[1:-1].strip()
    sign = s[:1] in "+-" and len(s) > 1
    if sign:
        s = s[1:].lstrip()
    currency = None
    lead = False
    sign_before = False
    if s[:1] and s[:1] in _CURRENCY_SYMBOLS:
        currency, lead, s = s[0], True, s[1:].lstrip()
    elif s[:3] in _CURRENCY_CODES and (len(s) == 3 or not s[3].isalpha()):
        currency, lead, s = s[:3], True, s[3:].lstrip()
    if lead:
        sign_before = sign
        if not sign and s[:1] in "+-":
            sign, s = True, s[1:].lstrip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip()
    if currency is None:
        if s[-1:] and s[-1:] in _CURRENCY_SYMBOLS:
            currency, s = s[-1], s[:-1].rstrip()
        elif s[-3:] in _CURRENCY_CODES and len(s) > 3 and not s[-4].isalpha():
            currency, s = s[-3:], s[:-3].rstrip()
        if not percent and s.endswith("%"):
            percent, s = True, s[:-1].rstrip()
    if not s or (parens and sign):
        return None
    match = _NUMBER_PATTERNS[decimal].match(s)
    if not match or not (match.group("grouped") or match.group("plain") or match.group("frac")):
        return None
    if match.group("sep") and match.group("exp"):
        return None
    digits = match.group("plain") or ""
    return _NumberShape(
        currency=currency,
        currency_lead=lead,
        sign_before_currency=sign_before,
        percent=percent,
        parens=parens,
        sep=match.group("sep"),
        fraction=bool(match.group("frac") or match.group("exp")),
        leading_zero=len(digits) > 1 and digits.startswith("0"),
    )


_INFINITE_SHAPE = _NumberShape(None, False, False, False, False, None, True, False)
_LEADING_ZERO_NUMBER = re.compile(r"^[+-]?0\d")
CODE_NAME = re.compile(r"(?i)(^|[^a-z])(zip|zipcode|postcode|postal|plz)([^a-z]|$)")


def as_number(column: pa.ChunkedArray, name: str, sample: Counter[str], decimal: str) -> Outcome | None:
    found = _shapes(sample, decimal)
    if found is None:
        return None
    parsed, weights = found
    if any(_LEADING_ZERO_NUMBER.match(v) and not ("." in v or "," in v) for v in sample):
        return None  # codes such as '02134' keep their leading zeros
    if CODE_NAME.search(name) or pc.any(pc.match_substring_regex(column, r"^\s*\d+-\d+\s*$")).as_py():
        return None  # zip codes (98115, 98115-4820) and codes like '12-345' are labels, not amounts
    currencies = {s.currency for s in parsed if s.currency}
    if len(currencies) > 1:
        return None  # mixed currencies cannot share one number column
    percent = sum(n for s, n in zip(parsed, weights) if s.percent)
    if percent and percent < CONVERT_SHARE * sum(weights):
        return None
    percent_column = bool(percent)
    seps = sorted({s.sep for s in parsed if s.sep})
    prepared = Prepared(column)
    fraction = any(s.fraction for s in parsed) or percent_column
    currency = next(iter(currencies)) if currencies else None
    parens = any(s.parens for s in parsed)
    regex_currency = currency is not None and (
        len(currency) > 1 or parens or any(s.sign_before_currency for s in parsed)
    )

    def convert(values: Any, strict: bool) -> Any:
        if parens:
            values = pc.replace_substring_regex(values, r"^\((.*)\)$", r"-\1")
        if currency is not None:
            if regex_currency:
                symbol = re.escape(currency)
                values = pc.replace_substring_regex(values, rf"^([+-]?)\s*{symbol}\s*", r"\1")
                values = pc.replace_substring_regex(values, rf"\s*{symbol}\s*(%?)$", r"\1")
            else:
                values = pc.utf8_trim(values, characters=currency + " \u00a0")
        if percent_column:
            values = pc.utf8_rtrim(values, characters="% \u00a0")
            if currency is not None:
                values = pc.utf8_rtrim(values, characters=currency + " \u00a0")
        for sep in seps:
            values = pc.replace_substring(values, sep, "")
        if decimal == ",":
            values = pc.replace_substring(values, ",", ".")
        return _cast_number(values, fraction, strict)

    result, failed = prepared.run(convert)
    if failed is None:
        return None
    if percent_column:
        result = pc.divide(result, 100.0)
    was = _what_it_was(currency, percent_column, seps, decimal == "," and fraction)
    if percent_column:
        notes = [f"'{name}': read percentages as fractions (12.5% → 0.125)."]
    else:
        notes = [f"'{name}': read as numbers ({was})."]
    if failed:
        notes.append(failure_note(name, failed, prepared.failed_examples(result), "numbers"))
    return Outcome(result, was, notes)


def _shapes(sample: Counter[str], decimal: str) -> tuple[list[_NumberShape], list[int]] | None:
    """The number shapes of the sampled values, with how many values have each; None when too many
    values are not numbers."""
    total = sample.total()
    shapes: Counter[str] = Counter()  # '1,234.50' and '8,765.40' share the shape '9,999.99'
    for value, n in sample.items():
        shapes[value.translate(DIGITS_TO_NINE)] += n
    parsed: list[_NumberShape] = []
    weights: list[int] = []
    misses = 0
    for shape_text, n in shapes.most_common():
        if shape_text.lower().lstrip("+-") in _INFINITY_WORDS:
            parsed.append(_INFINITE_SHAPE)  # 'inf', '-Infinity': numbers, read as ±infinity
            weights.append(n)
            continue
        shape = _number_shape(shape_text, decimal)
        if shape is None:
            misses += n
            if too_many_misses(misses, total):
                return None
        else:
            parsed.append(shape)
            weights.append(n)
    return (parsed, weights) if parsed else None


def _what_it_was(currency: str | None, percentages: bool, seps: list[str], decimal_commas: bool) -> str:
    """'amounts in $, thousands separators ','', or 'numbers stored as text'."""
    parts = []
    if currency:
        parts.append(f"amounts in {currency}")
    if percentages:
        parts.append("percentages")
    if seps:
        shown = " ".join("space" if s in " \u00a0\u202f" else f"'{s}'" for s in seps)
        parts.append(f"thousands separators {shown}")
    if decimal_commas:
        parts.append("decimal commas")
    return ", ".join(parts) if parts else "numbers stored as text"


_NUMBER_TEXT = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def _cast_number(values: Any, fraction: bool, strict: bool) -> Any:
    targets = [pa.float64()] if fraction else [pa.int64(), pa.float64()]
    for target in targets:
        try:
            return pc.cast(values, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if strict and target == targets[-1]:
                raise
    ok = pc.match_substring_regex(values, _NUMBER_TEXT)
    cleaned = pc.if_else(ok, values, pa.scalar(None, pa.string()))
    for target in targets:
        try:
            return pc.cast(cleaned, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return pa.nulls(len(values), pa.float64())

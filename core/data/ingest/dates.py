"""Dates written as text: ISO 8601, day/month or month/day order decided by the data, month names,
times and UTC offsets."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.notes import OFFSET, canonical_offset, failure_note, tz_note
from core.data.ingest.source import CONVERT_SHARE
from core.data.ingest.values import DIGITS_TO_NINE, Outcome, Prepared, too_many_misses

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
_YEAR_MONTH = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")  # 1949-01: a month (monthly series, reports)
_NUMERIC_DATE = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?P<rest>.*)$")
_YMD_DATE = re.compile(r"^(?P<y>\d{4})(?P<sep>[/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})(?P<rest>.*)$")
_NAMED_DMY = re.compile(r"^\d{1,2}(?P<sep>[ \-])[A-Za-z]{3,9}\.?(?P=sep)(?P<y>\d{4}|\d{2})(?P<rest>.*)$")
_NAMED_MDY = re.compile(r"^[A-Za-z]{3,9}\.? \d{1,2}(?P<comma>,?) (?P<y>\d{4})(?P<rest>.*)$")
_TIME = re.compile(
    r"^(?P<t>[T ])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s?(?P<ampm>[AaPp][Mm]))?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


def _time_format(rest: str) -> tuple[str, bool] | None:
    """strptime suffix for the time part after a date, and whether it has an offset."""
    if not rest:
        return "", False
    match = _TIME.match(rest)
    if not match:
        return None
    fmt = "T" if match.group("t") == "T" else " "
    fmt += ("%I" if match.group("ampm") else "%H") + ":%M"
    if match.group("s"):
        fmt += ":%S"
    if match.group("ampm"):
        fmt += " %p" if " " in rest[match.start("ampm") - 1 : match.start("ampm")] else "%p"
    tz = match.group("tz")
    if tz:
        fmt += (" " if rest[match.start("tz") - 1] == " " else "") + "%z"
    return fmt, bool(tz)


def as_date(column: pa.ChunkedArray, name: str, sample: Counter[str], decimal: str) -> Outcome | None:
    total = sample.total()
    first = next(iter(sample))
    if not any(ch.isdigit() for ch in first):
        return None
    if any(_ISO.match(v) for v in list(sample)[:5]):
        iso = [(m, n) for v, n in sample.items() if (m := _ISO.match(v))]
        if sum(n for _, n in iso) >= CONVERT_SHARE * total:
            return _iso_dates(column, name, [m for m, _ in iso])
    if any(_YEAR_MONTH.match(v) for v in list(sample)[:5]):
        months = sum(n for v, n in sample.items() if _YEAR_MONTH.match(v))
        if months >= CONVERT_SHARE * total:
            return _year_months(column, name)
    shapes = _date_shapes(sample)
    if shapes is None:
        return None
    votes = _day_month_votes(sample) if any("{A}" in t for t, _ in shapes) else (0, 0)
    if votes is None:
        return None
    day_first, month_first = votes
    if len({tz for _, tz in shapes}) > 1:
        return None  # some values carry a UTC offset and some do not: leave it to the user
    if day_first and month_first:
        return None  # both orders appear: not one date format
    ordered = any("{A}" in t for t, _ in shapes)
    orders = ["dmy", "mdy"] if (day_first or not month_first) else ["mdy", "dmy"]
    ambiguous = ordered and not day_first and not month_first
    templates = [t for (t, _), _n in shapes.most_common()]
    prepared = Prepared(column)

    def converter(order: str) -> Callable[[Any, bool], Any]:
        a, b = ("%d", "%m") if order == "dmy" else ("%m", "%d")
        return lambda values, strict: _strptime_all(values, templates, a, b)

    def convert(order: str) -> tuple[Any, int | None]:
        return prepared.run(converter(order))

    result, failed = convert(orders[0])
    chosen = orders[0]
    if ordered and (ambiguous or failed is None or failed):
        other, other_failed = convert(orders[1])
        if other_failed is not None and (failed is None or other_failed < failed):
            result, failed, chosen, ambiguous = other, other_failed, orders[1], False
        elif (ambiguous and other_failed is not None and failed is not None and other_failed > failed) or (
            ambiguous and other_failed is None
        ):
            ambiguous = False
    if failed is None:
        return None
    has_time = any("%" in t.split("{Y}")[-1] for t in templates)
    order_words = {"dmy": "day/month/year", "mdy": "month/day/year"}[chosen] if ordered else ""
    kind = "date-times" if has_time else "dates"
    was = f"{kind} ({order_words})" if order_words else kind
    notes = [f"'{name}': read as {was}."]
    if ambiguous:
        notes.append(
            f"'{name}': no day is above 12, so day and month could be either way round (if "
            f"{order_words} is wrong, fix the dates in the file)."
        )
    if any(tz for _, tz in shapes):
        offsets = sorted({canonical_offset(m.group(0)) for v in sample if (m := OFFSET.search(v))})
        notes.append(tz_note(name, offsets))
        was += " with UTC offsets"
    if failed:
        notes.append(failure_note(name, failed, prepared.failed_examples(result), "dates"))
    return Outcome(result, was, notes)


def _date_shapes(sample: Counter[str]) -> Counter[tuple[str, bool]] | None:
    """How many sampled values have each date format ({A}/{B} placeholders for day and month, and
    whether it has an offset); None when the values are not dates in a few formats."""
    total = sample.total()
    shapes: Counter[tuple[str, bool]] = Counter()
    by_text: Counter[str] = Counter()
    for value, n in sample.items():
        by_text[value.translate(DIGITS_TO_NINE)] += n
    matched = 0
    misses = 0
    for shape_text, n in by_text.most_common():
        shape = _date_shape(shape_text)
        if shape is None:
            misses += n
            if too_many_misses(misses, total):
                return None
            continue
        template, tz, _a, _b = shape
        matched += n
        shapes[(template, tz)] += n
    if matched < CONVERT_SHARE * total or len(shapes) > 4:
        return None
    return shapes


def _day_month_votes(sample: Counter[str]) -> tuple[int, int] | None:
    """(values only day-first can read, values only month-first can read); None for a value no
    order can read (a 0 or a number above 31, or both above 12)."""
    day_first = month_first = 0
    for value in sample:
        found = _DAY_MONTH.match(value)
        if not found:
            continue
        a, b = int(found.group(1)), int(found.group(2))
        if a > 31 or b > 31 or a == 0 or b == 0 or (a > 12 and b > 12):
            return None
        if a > 12:
            day_first += 1
        elif b > 12:
            month_first += 1
    return day_first, month_first


def _strptime_all(values: Any, templates: list[str], a: str, b: str) -> Any:
    results = [
        pc.strptime(values, t.replace("{A}", a).replace("{B}", b).replace("{Y}", ""), unit="s", error_is_null=True)
        for t in templates
    ]
    return results[0] if len(results) == 1 else pc.coalesce(*results)


_DAY_MONTH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d")


def _date_shape(value: str) -> tuple[str, bool, int | None, int | None] | None:
    """A strptime template ({A}/{B} for the day/month slots, {Y} marks the year) for one value."""
    for pattern, kind in ((_NUMERIC_DATE, "ab"), (_YMD_DATE, "ymd")):
        match = pattern.match(value)
        if not match:
            continue
        timed = _time_format(match.group("rest"))
        if timed is None:
            return None
        suffix, tz = timed
        sep = match.group("sep")
        year = "%Y" if len(match.group("y")) == 4 else "%y"
        if kind == "ymd":
            return f"%Y{sep}%m{sep}%d{{Y}}{suffix}", tz, None, None
        return f"{{A}}{sep}{{B}}{sep}{year}{{Y}}{suffix}", tz, None, None
    match = _NAMED_DMY.match(value)
    if match:
        timed = _time_format(match.group("rest"))
        if timed is None:
            return None
        sep = match.group("sep")
        year = "%Y" if len(match.group("y")) == 4 else "%y"
        month = "%b" if "." in value or len(value.split(sep)[1]) == 3 else "%B"
        return f"%d{sep}{month}{sep}{year}{{Y}}{timed[0]}", timed[1], None, None
    match = _NAMED_MDY.match(value)
    if match:
        timed = _time_format(match.group("rest"))
        if timed is None:
            return None
        month = "%b" if len(value.split(" ")[0].rstrip(".")) == 3 else "%B"
        return f"{month} %d{match.group('comma')} %Y{{Y}}{timed[0]}", timed[1], None, None
    return None


def _iso_dates(column: pa.ChunkedArray, name: str, matches: list[re.Match[str]]) -> Outcome | None:
    with_tz = sum(m.group("tz") is not None for m in matches)
    if with_tz and with_tz < len(matches):
        return None  # mixed: some values have offsets, some not
    prepared = Prepared(column)
    target = pa.timestamp("us", tz="UTC" if with_tz else None)

    def convert(values: Any, strict: bool) -> Any:
        if strict:
            return pc.cast(values, target)
        values = pc.replace_substring(values, ",", ".")  # 10:00:00,5 -> 10:00:00.5
        try:
            return pc.cast(values, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            series = pd.Series(values.to_pandas(), dtype=object)
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=bool(with_tz))
            return pa.chunked_array([pa.array(parsed, type=target, from_pandas=True)])

    result, failed = prepared.run(convert)
    if failed is None:
        return None
    has_time = any(len(m.group(0)) > 10 for m in matches)
    was = "date-times (ISO 8601)" if has_time else "dates (ISO 8601)"
    notes = [f"'{name}': read as {was.split(' (')[0]}."]
    if with_tz:
        offsets = sorted({canonical_offset(m.group("tz")) for m in matches})
        notes.append(tz_note(name, offsets))
        was += " with UTC offsets"
    if failed:
        notes.append(failure_note(name, failed, prepared.failed_examples(result), "dates"))
    return Outcome(result, was, notes)


def _year_months(column: pa.ChunkedArray, name: str) -> Outcome | None:
    """Months written as YYYY-MM, read as the first day of each month."""
    prepared = Prepared(column)

    def convert(values: Any, strict: bool) -> Any:
        days = pc.binary_join_element_wise(values, pa.scalar("-01"), pa.scalar(""))
        return pc.strptime(days, format="%Y-%m-%d", unit="s", error_is_null=True)

    result, failed = prepared.run(convert)
    if failed is None:
        return None
    notes = [f"'{name}': read as months (each as its first day)."]
    if failed:
        notes.append(failure_note(name, failed, prepared.failed_examples(result), "dates"))
    return Outcome(result, "months (YYYY-MM)", notes)

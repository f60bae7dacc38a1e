"""Find personal data (PII) in columns, and mask or pseudonymise it.

Detection is vectorised: a regular expression runs over a sample of up to 10,000 non-missing
values per column (pyarrow's RE2 engine), then the hits are *validated* where the format has a
checksum: payment cards by the Luhn algorithm (plus a known issuer prefix), IBANs by ISO 7064
mod-97, US social security numbers by their reserved ranges, IPv4 addresses by octet range.
Without the validation, one random 16-digit number in ten would pass for a card.

Person names are found by column name ('name', 'first_name', 'customer_name' …, but not
'product_name') plus content that looks like names, or by content alone when almost every
value is two or three capitalised words and the values are mostly distinct (so 'New York' in a
city column does not count).

Nothing here logs values. :func:`redact` turns any value into something safe to show in a
message: examples in findings always go through it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InputError

PII_TYPES = ("email", "phone", "card", "iban", "ip", "ssn", "uk_ni", "person_name")

LABELS = {
    "email": "email addresses",
    "phone": "phone numbers",
    "card": "payment card numbers",
    "iban": "bank account numbers (IBAN)",
    "ip": "IP addresses",
    "ssn": "US social security numbers",
    "uk_ni": "UK national insurance numbers",
    "person_name": "people's names",
}

# Financial and national identifiers: a leak is directly exploitable, so the finding is critical.
SENSITIVE = frozenset({"card", "iban", "ssn", "uk_ni"})

SAMPLE_SIZE = 10_000  # values scanned per column; enough to see a type present in >= 0.05% of rows

# --- patterns (RE2 syntax: pyarrow runs them; no look-arounds) --------------------------------

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_CARD = r"\b(?:\d[ \-]?){12,18}\d\b"
_IBAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"
_IPV4 = r"\b(?:\d{1,3}\.){3}\d{1,3}\b"
_IPV6 = r"\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b"
_SSN = r"\b\d{3}-\d{2}-\d{4}\b"
_UK_NI = r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
# A phone number as a whole value: optional +/00 country prefix, digits with separators.
_PHONE_WHOLE = r"^\s*(?:(?:\+|00)\d{1,3}[\s.\-]?)?(?:\(\d{1,5}\)[\s.\-]?)?\d{2,5}(?:[\s.\-/]?\d{2,5}){1,4}\s*$"
# A phone number inside text needs a clear marker: a leading +, a bracketed area code or 3-3-4.
_PHONE_EMBED = (
    r"(?:\+\d{1,3}[\s.\-]?(?:\(\d{1,5}\)[\s.\-]?)?\d{2,5}(?:[\s.\-]?\d{2,5}){1,4})"
    r"|(?:\(\d{2,5}\)\s?\d{3,4}[\s.\-]?\d{3,4})"
    r"|(?:\b\d{3}[.\-]\d{3}[.\-]\d{4}\b)"
)
_NAME_VALUE = r"^\s*\p{Lu}[\p{Ll}'’.\-]+(?:[ \-]+\p{Lu}[\p{Ll}'’.\-]+){0,3}\s*$"
_NAME_2_3 = r"^\s*\p{Lu}[\p{Ll}'’.\-]+(?:[ \-]+\p{Lu}[\p{Ll}'’.\-]+){1,2}\s*$"

_NAME_TOKENS = frozenset(
    {
        "name",
        "names",
        "firstname",
        "lastname",
        "surname",
        "fullname",
        "forename",
        "givenname",
        "familyname",
        "middlename",
        "maidenname",
        "nachname",
        "vorname",
        "nom",
        "prenom",
    }
)
_NAME_PARTS = {
    ("first", "name"),
    ("last", "name"),
    ("full", "name"),
    ("given", "name"),
    ("family", "name"),
    ("middle", "name"),
    ("maiden", "name"),
}
_NOT_PERSON = frozenset(
    {
        "product",
        "company",
        "file",
        "item",
        "brand",
        "store",
        "shop",
        "city",
        "country",
        "street",
        "category",
        "model",
        "host",
        "domain",
        "business",
        "firm",
        "org",
        "organisation",
        "organization",
        "team",
        "project",
        "app",
        "table",
        "column",
        "sheet",
        "place",
        "location",
        "site",
        "region",
        "state",
        "department",
        "dept",
        "bank",
        "event",
        "campaign",
        "job",
        "title",
        "school",
        "hospital",
        "vendor",
        "supplier",
        "merchant",
        "course",
        "plan",
        "tag",
        "server",
        "service",
        "device",
        "machine",
        "color",
        "colour",
        "variable",
        "field",
        "species",
        "town",
        "county",
        "district",
        "venue",
        "package",
        "sku",
        "game",
        "song",
        "album",
        "movie",
        "book",
        "dataset",
        "metric",
        "feature",
        "label",
        "group",
        "class",
        "type",
    }
)

# Minimum hits for the weaker patterns (phone, IP): these also match codes and version numbers,
# so one match is not enough; 5% of the sampled values, and at least 2 values.
_WEAK_MIN_SHARE = 0.05
# Card numbers: a random 13-19 digit number passes Luhn 1 time in 10 and our issuer prefix
# about half the time, so among candidates ~5% validate by chance. Require > 20% valid.
_CARD_MIN_VALID = 0.2
# IBAN: a random candidate passes mod-97 with probability 1/97; real IBAN columns (typed by
# people) validate > 90%. Require at least half of the candidates valid.
_IBAN_MIN_VALID = 0.5
# Person names by content alone: nearly all values look like 'First Last' and most are distinct.
_NAME_CONTENT_SHARE = 0.8
_NAME_COLUMN_SHARE = 0.5  # a column *named* like a name: half the values looking like names suffices
_NAME_MIN_DISTINCT = 0.5


@dataclass(frozen=True)
class PiiHit:
    """One kind of personal data found in a column (counts refer to the scanned values)."""

    pii_type: str
    count: int  # scanned values containing this type
    share: float  # count / scanned
    example: str  # a masked example, safe to show


@dataclass(frozen=True)
class PiiScan:
    column: str
    scanned: int  # non-missing values looked at
    total: int  # non-missing values in the column
    hits: tuple[PiiHit, ...] = ()

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(h.pii_type for h in self.hits)


# --- helpers ----------------------------------------------------------------------------------


def _tokens(name: str) -> list[str]:
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", str(name))
    return [p.lower() for p in parts]


def is_name_column(name: str) -> bool:
    """True for column names that usually hold people's names ('first_name', 'CustomerName')."""
    toks = _tokens(name)
    if not toks or _NOT_PERSON.intersection(toks):
        return False
    if _NAME_TOKENS.intersection(toks):
        return True
    joined = "".join(toks)
    return joined in _NAME_TOKENS or any(a in toks and b in toks for a, b in _NAME_PARTS)


def _to_arrow(values: pd.Series | Sequence[str] | pa.Array) -> pa.Array:
    """Non-missing values as a pyarrow string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        arr = values
    else:
        s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        s = _as_text_series(s).dropna()
        arr = pa.array(s.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
    if arr.null_count:
        arr = arr.drop_null()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return arr


def _extract(arr: pa.Array, pattern: str) -> tuple[np.ndarray, list[str]]:
    """Positions of values containing ``pattern`` and the first match in each."""
    hit = pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(hit)
    if not len(idx):
        return idx, []
    sub = arr.take(pa.array(idx))
    found = pc.extract_regex(sub, f"(?P<m>{pattern})").field("m").to_pylist()
    return idx, [f or "" for f in found]


def luhn_valid(numbers: Sequence[str]) -> np.ndarray:
    """Vectorised Luhn check for digit strings; anything that isn't all ASCII digits is False."""
    out = np.zeros(len(numbers), dtype=bool)
    if not len(numbers):
        return out
    good = [isinstance(n, str) and n.isascii() and n.isdigit() and len(n) >= 2 for n in numbers]
    lengths = np.array([len(n) if g else 0 for n, g in zip(numbers, good, strict=True)])
    for length in np.unique(lengths[lengths > 0]):
        idx = np.flatnonzero(lengths == length)
        buf = "".join(numbers[int(i)] for i in idx).encode("ascii")
        d = (np.frombuffer(buf, dtype=np.uint8).astype(np.int64) - 48).reshape(len(idx), length)
        d = d[:, ::-1]
        dbl = d[:, 1::2] * 2
        dbl -= 9 * (dbl > 9)
        out[idx] = (d[:, ::2].sum(axis=1) + dbl.sum(axis=1)) % 10 == 0
    return out


def _card_prefix_ok(digits: str) -> bool:
    # Visa 4, Mastercard 51-55 / 2221-2720, Amex 34/37, Diners 30/36/38, JCB 35, Discover 6.
    if not digits:
        return False
    if digits[0] in "3456":
        return True
    return digits[0] == "2" and len(digits) >= 4 and 2221 <= int(digits[:4]) <= 2720


def card_valid(candidates: Sequence[str]) -> np.ndarray:
    """Which strings are plausible payment card numbers (13-19 digits, issuer prefix, Luhn)."""
    digits = [re.sub(r"\D", "", c or "") for c in candidates]
    ok = np.array([13 <= len(d) <= 19 and _card_prefix_ok(d) for d in digits], dtype=bool)
    return ok & luhn_valid(digits)


def iban_valid(candidates: Sequence[str]) -> np.ndarray:
    """ISO 13616 IBAN check: 15-34 characters, country letters, mod-97 of the rearranged number == 1."""
    out = np.zeros(len(candidates), dtype=bool)
    for i, c in enumerate(candidates):
        s = re.sub(r"\s", "", c or "").upper()
        if not (15 <= len(s) <= 34) or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
            continue
        rearranged = s[4:] + s[:4]
        out[i] = int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1
    return out


def _ssn_valid(candidates: Sequence[str]) -> np.ndarray:
    # Never issued: area 000, 666, 900-999; group 00; serial 0000.
    out = []
    for c in candidates:
        area, group, serial = c[:3], c[4:6], c[7:11]
        out.append(area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000")
    return np.array(out, dtype=bool)


def _uk_ni_valid(candidates: Sequence[str]) -> np.ndarray:
    bad = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
    return np.array([c[:2].upper() not in bad for c in candidates], dtype=bool)


def _ip_valid(candidates: Sequence[str]) -> np.ndarray:
    out = []
    for c in candidates:
        try:
            addr = ipaddress.ip_address(c)
        except ValueError:
            out.append(False)
            continue
        # '::' alone or 1.2.3.4-style version strings are not worth calling an address
        out.append(not (addr.version == 6 and c.count(":") < 3))
    return np.array(out, dtype=bool)


def _phone_valid(candidates: Sequence[str]) -> np.ndarray:
    return np.array([7 <= len(re.sub(r"\D", "", c)) <= 15 for c in candidates], dtype=bool)


# --- masking ----------------------------------------------------------------------------------
# (pattern, replacement) pairs applied in order; RE2 replacement syntax (\1 = first group).
_MASKS: dict[str, tuple[tuple[str, str], ...]] = {
    "email": (
        (r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})", r"\1***@\2"),
    ),
    "card": ((r"\b(?:\d[ \-]?){9,15}(\d{4})\b", r"**** **** **** \1"),),
    "iban": ((r"\b([A-Z]{2})\d{2}(?: ?[A-Z0-9]){11,30}\b", r"\1** **** **** ****"),),
    "ssn": ((r"\b\d{3}-\d{2}-(\d{4})\b", r"***-**-\1"),),
    "uk_ni": ((_UK_NI, "** ** ** ** *"),),
    "ip": (
        (r"\b(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", r"\1.*.*.*"),
        (r"\b([0-9A-Fa-f]{1,4})(?::[0-9A-Fa-f]{0,4}){3,7}\b", r"\1:****:****"),
    ),
    "phone": (
        (
            r"^\s*(?:(?:\+|00)\d{1,3}[\s.\-]?)?(?:\(\d{1,5}\)[\s.\-]?)?[\d\s.\-/]*?(\d)[\s.\-/]?(\d)\s*$",
            r"*** *** **\1\2",
        ),
        (
            r"(?:\+\d{1,3}[\s.\-]?(?:\(\d{1,5}\)[\s.\-]?)?[\d\s.\-]{4,20}?|\(\d{2,5}\)\s?[\d\s.\-]{4,10}?"
            r"|\b\d{3}[.\-]\d{3}[.\-]\d{2})(\d{2})\b",
            r"*** *** **\1",
        ),
    ),
    "person_name": ((r"(\pL)\pL*", r"\1."),),
}
_REDACT_ORDER = ("email", "iban", "card", "ssn", "uk_ni", "ip", "phone")


def _mask_arrow(arr: pa.Array, pii_type: str) -> pa.Array:
    for pattern, repl in _MASKS[pii_type]:
        arr = pc.replace_substring_regex(arr, pattern, repl)
    return arr


def redact(value: object, max_chars: int = 40) -> str:
    """A version of ``value`` safe for messages: any detectable PII masked, long text cut."""
    raw = str(value)
    arr = pa.array([raw], type=pa.large_string())
    digits = sum(ch.isdigit() for ch in raw)
    for t in _REDACT_ORDER:
        if t == "phone" and digits < 7:
            continue  # '-999' or '42' are numbers, not phone numbers
        arr = _mask_arrow(arr, t)
    text = arr[0].as_py() or ""
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def _as_text_series(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series.dtype):
        # card numbers read as floats: print them without '.0'
        whole = series.dropna()
        if (
            len(whole)
            and np.all(np.isfinite(whole))
            and np.all(np.mod(whole, 1) == 0)
            and np.all(np.abs(whole) < 2.0**63)
        ):  # beyond int64 (1e19) they stay as printed floats
            return series.astype("Int64").astype("str")
    if not isinstance(series.dtype, pd.StringDtype) or series.dtype.storage != "pyarrow":
        return series.astype("str")
    return series


def mask(series: pd.Series, pii_type: str) -> pd.Series:
    """Mask every ``pii_type`` match in ``series`` (e.g. j***@example.com, **** **** **** 1234).

    Values without a match are unchanged; missing values stay missing. The result is a string
    column with the same index and name.
    """
    if pii_type not in _MASKS:
        raise InputError(
            f"Unknown kind of personal data: '{pii_type}'.",
            f"Use one of: {', '.join(PII_TYPES)}.",
        )
    text = _as_text_series(series)
    for pattern, repl in _MASKS[pii_type]:
        text = text.str.replace(pattern, repl, regex=True)
    return text


def pseudonymise(series: pd.Series, key: bytes) -> pd.Series:
    """Replace each value by a keyed hash (HMAC-SHA256, first 16 hex digits).

    The same value always becomes the same pseudonym under the same key, so joins and counts
    still work, but without the key nobody can check a guess. Missing values stay missing.
    Values are hashed as text (the number 1234 and the text '1234' get the same pseudonym).
    """
    if not isinstance(key, bytes | bytearray) or len(key) < 16:
        raise InputError(
            "Pseudonymising needs a secret key of at least 16 bytes.",
            "Use the key Keel keeps for this workspace, so pseudonyms match across datasets.",
        )
    text = _as_text_series(series)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    base = hmac.new(bytes(key), digestmod=hashlib.sha256)
    digests = []
    for value in uniques:
        h = base.copy()
        h.update(str(value).encode("utf-8"))
        digests.append(h.hexdigest()[:16])
    table = np.array([*digests, None], dtype=object)  # index -1 -> None (missing)
    out = table[codes]
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


# --- detection --------------------------------------------------------------------------------


def _subset(arr: pa.Array, mask: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    pos = np.flatnonzero(mask)
    return arr.take(pa.array(pos)), pos


def _hits_in(arr: pa.Array, name: str, distinct_share: float, weights: np.ndarray | None = None) -> list[PiiHit]:
    """Hits among ``arr``'s values; ``weights`` = how many rows each value stands for (default 1)."""
    w = np.ones(len(arr)) if weights is None else np.asarray(weights, dtype="float64")
    n = float(w.sum())
    hits: list[PiiHit] = []
    if len(arr) == 0 or n <= 0:
        return hits

    def add(pii_type: str, idx: np.ndarray, candidates: list[str], valid: np.ndarray | None) -> None:
        if valid is not None:
            idx = idx[valid]
            candidates = [c for c, v in zip(candidates, valid, strict=True) if v]
        if len(idx):
            example = _mask_arrow(pa.array([candidates[0]], type=pa.large_string()), pii_type)[0].as_py()
            count = float(w[idx].sum())
            hits.append(PiiHit(pii_type, round(count), count / n, example))

    # Cheap pre-filters: only values with an '@' can hold an email, only values with digits the rest.
    at = pc.match_substring(arr, "@").to_numpy(zero_copy_only=False)
    if at.any():
        sub, pos = _subset(arr, at)
        idx, found = _extract(sub, _EMAIL)
        add("email", pos[idx], found, None)

    digit = pc.match_substring_regex(arr, r"\d").to_numpy(zero_copy_only=False)
    if digit.any():
        sub, pos = _subset(arr, digit)
        _digit_hits(sub, pos, w, add)

    named = is_name_column(name)
    pattern = _NAME_VALUE if named else _NAME_2_3
    looks = pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
    share = float(w[looks].sum() / n)
    if (named and share >= _NAME_COLUMN_SHARE) or (
        not named and share >= _NAME_CONTENT_SHARE and distinct_share >= _NAME_MIN_DISTINCT and n >= 20
    ):
        idx = np.flatnonzero(looks)
        add("person_name", idx, arr.take(pa.array(idx[:1])).to_pylist(), None)
    order = {t: i for i, t in enumerate(PII_TYPES)}
    return sorted(hits, key=lambda h: order[h.pii_type])


def _digit_hits(
    arr: pa.Array, pos: np.ndarray, w: np.ndarray, add: Callable[[str, np.ndarray, list[str], np.ndarray | None], None]
) -> None:
    """Types made of digits, on the values that contain digits (``pos`` maps back to the scan)."""

    def valid_share(idx: np.ndarray, valid: np.ndarray) -> float:
        weights = w[pos[idx]]
        return float(weights[valid].sum() / weights.sum())

    idx, found = _extract(arr, _CARD)
    if len(idx):
        valid = card_valid(found)
        if valid.any() and valid_share(idx, valid) > _CARD_MIN_VALID:
            add("card", pos[idx], found, valid)

    idx, found = _extract(arr, _IBAN)
    if len(idx):
        valid = iban_valid(found)
        if valid.any() and valid_share(idx, valid) >= _IBAN_MIN_VALID:
            add("iban", pos[idx], found, valid)

    idx, found = _extract(arr, _SSN)
    if len(idx):
        add("ssn", pos[idx], found, _ssn_valid(found))

    idx, found = _extract(arr, _UK_NI)
    if len(idx):
        add("uk_ni", pos[idx], found, _uk_ni_valid(found))

    weak_min = max(2.0, _WEAK_MIN_SHARE * float(w.sum()))
    idx4, found4 = _extract(arr, _IPV4)
    idx6, found6 = _extract(arr, _IPV6)
    ip_idx = np.concatenate([idx4, idx6]).astype(np.int64)
    ip_found = found4 + found6
    if len(ip_idx):
        valid = _ip_valid(ip_found)
        ip_idx, keep = np.unique(ip_idx[valid], return_index=True)
        good = [c for c, v in zip(ip_found, valid, strict=True) if v]
        if w[pos[ip_idx]].sum() >= weak_min:
            add("ip", pos[ip_idx], [good[k] for k in keep], None)

    whole_idx = np.flatnonzero(pc.match_substring_regex(arr, _PHONE_WHOLE).to_numpy(zero_copy_only=False))
    embed_idx, embed_found = _extract(arr, _PHONE_EMBED)
    cand_idx = np.concatenate([whole_idx, embed_idx]).astype(np.int64)
    cand = [s.strip() for s in arr.take(pa.array(whole_idx, type=pa.int64())).to_pylist()] + embed_found
    if len(cand_idx):
        valid = _phone_valid(cand)
        # dates and decimal numbers have the right shape too; they are not phones
        looks_other = np.array([bool(_NOT_PHONE.fullmatch(c)) for c in cand], dtype=bool)
        valid &= ~looks_other
        uniq_idx, keep = np.unique(cand_idx[valid], return_index=True)
        good = [c for c, v in zip(cand, valid, strict=True) if v]
        if w[pos[uniq_idx]].sum() >= weak_min:
            add("phone", pos[uniq_idx], [good[k] for k in keep], None)


_NOT_PHONE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|[\d.]+|\d{3}-\d{2}-\d{4}")


def scan(
    series: pd.Series, name: str | None = None, *, sample_size: int | None = SAMPLE_SIZE, seed: int = 0
) -> PiiScan:
    """Look for personal data in one column.

    ``sample_size`` non-missing values are scanned (all of them when ``None``). Numeric columns
    are only checked for card numbers (a card read as a number is still a card).
    """
    col = str(series.name if name is None else name)
    dtype = series.dtype
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        return PiiScan(col, 0, int(series.notna().sum()))
    numeric = pd.api.types.is_numeric_dtype(dtype)
    valid_pos = np.flatnonzero(series.notna().to_numpy())
    total = len(valid_pos)
    if sample_size is not None and total > sample_size:
        rng = np.random.default_rng(seed)
        valid_pos = np.sort(rng.choice(valid_pos, size=sample_size, replace=False))
    values = series.iloc[valid_pos]
    if numeric:
        if pd.api.types.is_complex_dtype(dtype):
            return PiiScan(col, len(values), total)
        x = values.to_numpy(dtype="float64", na_value=np.nan)
        fin = np.isfinite(x)
        big = fin & (np.abs(x) >= 1e12) & (np.abs(x) < 1e19)
        if not big.any() or not np.all(np.mod(x[big], 1) == 0):
            return PiiScan(col, len(values), total)
        as_int = values[big]
        try:
            digits = as_int.astype("Int64").astype("str")
        except (TypeError, ValueError, OverflowError):
            return PiiScan(col, len(values), total)
        arr = _to_arrow(digits)
        valid = card_valid(arr.to_pylist())
        hits: tuple[PiiHit, ...] = ()
        if valid.sum() >= 1 and valid.mean() > _CARD_MIN_VALID:
            first = arr[int(np.flatnonzero(valid)[0])].as_py()
            example = _mask_arrow(pa.array([first], type=pa.large_string()), "card")[0].as_py()
            hits = (PiiHit("card", int(valid.sum()), float(valid.sum()) / len(values), example),)
        return PiiScan(col, len(values), total, hits)
    arr = _to_arrow(values)
    n = len(arr)
    distinct = len(pc.unique(arr)) / n if n else 0.0
    return PiiScan(col, n, total, tuple(_hits_in(arr, col, distinct)))


def scan_distinct(values: pd.Index | Sequence[object], counts: np.ndarray, name: str) -> PiiScan:
    """Like :func:`scan`, but on a column's distinct values and how often each occurs.

    Exact over the whole column and cheap when values repeat (10 labels in a million rows)."""
    counts = np.asarray(counts, dtype="float64")
    total = int(counts.sum())
    if len(counts) == 0:
        return PiiScan(str(name), 0, 0)
    arr = _to_arrow(pd.Series(pd.Index(values).astype("str"), dtype="str"))
    distinct = len(counts) / total if total else 0.0
    return PiiScan(str(name), total, total, tuple(_hits_in(arr, str(name), distinct, counts)))


# whole cells as Keel's own masks leave them: j***@example.com, **** **** **** 1234, GB** **** **** ****,
# ***-**-1234, ** ** ** ** *, 81.*.*.*, fe80:****:****, *** *** **12. Star ratings ('****'), Markdown
# ('**bold**') and censored words ('f*** it') are not masked personal data
_MASKED = re.compile(
    r"\s*(?:\S\*\*\*@\S+|\*\*\*\* \*\*\*\* \*\*\*\* \d{4}|[A-Z]{2}\*\* \*\*\*\* \*\*\*\* \*\*\*\*"
    r"|\*\*\*-\*\*-\d{4}|\*\* \*\* \*\* \*\* \*|\d{1,3}(?:\.\*){3}|[0-9A-Fa-f]{1,4}:\*\*\*\*:\*\*\*\*"
    r"|.*\*\*\* \*\*\* \*\*\d\d)\s*"
)


def masked_share(values: pd.Series) -> float:
    """Share of the non-missing values that are masked personal data (as :func:`mask` writes it)."""
    text = values.dropna().astype(str)
    if text.empty:
        return 0.0
    sample = text.sample(SAMPLE_SIZE, random_state=0) if len(text) > SAMPLE_SIZE else text
    return float(sample.str.fullmatch(_MASKED).mean())


def mask_detected(series: pd.Series, types: Sequence[str] | None = None) -> tuple[pd.Series, tuple[str, ...]]:
    """Mask every kind of personal data found in the *whole* column (or the given ``types``).

    Returns the masked column and the types masked (empty when nothing was found: the column
    comes back unchanged).
    """
    if types is None:
        types = scan(series, sample_size=None).types
    if not types:
        return series, ()
    out = series
    for t in types:
        out = mask(out, t)
    return out, tuple(types)

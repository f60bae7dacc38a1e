"""Text encodings: detection (BOMs, UTF-16 without one, UTF-8, Windows-1252 / Latin-1 fallback)
and conversion to UTF-8."""

from __future__ import annotations

import re

from core.data.ingest.source import Source
from core.errors import InputError

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32-le": "UTF-32 LE",
    "utf-32-be": "UTF-32 BE",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}


def detect_encoding(head: bytes) -> tuple[str, int]:
    """Return (codec, BOM length) from the head of a file."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", 3
    if head.startswith(b"\xff\xfe\x00\x00"):
        return "utf-32-le", 4
    if head.startswith(b"\x00\x00\xfe\xff"):
        return "utf-32-be", 4
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    sample = head[:8192]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        even_nul = even.count(0) / max(1, len(even))
        odd_nul = odd.count(0) / max(1, len(odd))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le", 0
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be", 0
    if _valid_utf8_prefix(head):
        return "utf-8", 0
    return _single_byte_codec(head), 0


def _valid_utf8_prefix(head: bytes) -> bool:
    """True if ``head`` is UTF-8, allowing a character cut off at the end of the sample."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"


_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _single_byte_codec(data: bytes) -> str:
    return "latin-1" if any(b in data for b in _CP1252_UNDEFINED) else "cp1252"


def _fallback_codec(data: bytes) -> tuple[str, str]:
    """For text that is not valid UTF-8: ("utf-8", "replace") if it is mostly UTF-8, else cp1252/latin-1."""
    high = len(data) - len(data.translate(None, bytes(range(128, 256))))
    in_sequences = sum(len(m) for m in _UTF8_SEQ.findall(data))
    if high and in_sequences / high >= 0.5:
        return "utf-8", "replace"
    return _single_byte_codec(data), "strict"


def decode_head(head: bytes, codec: str) -> str:
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        unit = 2 if codec.startswith("utf-16") else 4
        head = head[: len(head) - len(head) % unit]
    return head.decode(codec, errors="replace")


def transcode(data: bytes, codec: str, errors: str, label: str) -> bytes:
    try:
        return data.decode(codec, errors=errors).encode("utf-8")
    except UnicodeDecodeError as exc:
        if codec.startswith("utf-16") or codec.startswith("utf-32"):
            raise InputError(
                f"'{label}' looks like {ENCODING_LABELS.get(codec, codec)} text but has invalid "
                f"bytes at position {exc.start:,}.",
                "Save the file again as UTF-8 CSV and upload that.",
            ) from exc
        return data.decode("latin-1").encode("utf-8")


def utf8_bytes(src: Source, label: str, notes: list[str]) -> tuple[bytes, str]:
    """The file as valid UTF-8 bytes and the codec it was in (it may only *start* as UTF-8)."""
    data = src.data()
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        codec, errors = _fallback_codec(data)
        _note_fallback(notes, codec, errors)
        return transcode(data, codec, errors, label), codec


def _note_fallback(notes: list[str], codec: str, errors: str) -> None:
    if errors == "replace":
        notes.append("Some bytes were not valid UTF-8 text and were replaced with '\ufffd'.")
    else:
        notes.append(f"Text encoding: {ENCODING_LABELS[codec]} (the file is not UTF-8).")

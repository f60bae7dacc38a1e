"""Content sniffing: refuse what is not a table (images, archives, programs, pickles, databases, web
pages, binary data) with a hint saying what to upload instead."""

from __future__ import annotations

import re

from core.data.ingest.source import Source
from core.errors import InputError

_UPLOAD_HINT = "Upload a CSV, Excel (.xlsx), Parquet or JSON file."


_NOT_A_TABLE_HINT = "Upload the data itself as a CSV, Excel (.xlsx), Parquet or JSON file."
_ARCHIVE_HINT = "Decompress it and upload the CSV or Excel file inside."

# (magic bytes, offset, what it is, hint)
_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image", _NOT_A_TABLE_HINT),
    (b"\xff\xd8\xff", 0, "a JPEG image", _NOT_A_TABLE_HINT),
    (b"GIF87a", 0, "a GIF image", _NOT_A_TABLE_HINT),
    (b"GIF89a", 0, "a GIF image", _NOT_A_TABLE_HINT),
    (b"II*\x00", 0, "a TIFF image", _NOT_A_TABLE_HINT),
    (b"MM\x00*", 0, "a TIFF image", _NOT_A_TABLE_HINT),
    (
        b"%PDF",
        0,
        "a PDF document",
        "Export the table from where it came from as CSV or Excel; tables copied out of a PDF lose their structure.",
    ),
    (b"\x1f\x8b", 0, "a gzip-compressed file", _ARCHIVE_HINT),
    (b"BZh", 0, "a bzip2-compressed file", _ARCHIVE_HINT),
    (b"\xfd7zXZ\x00", 0, "an xz-compressed file", _ARCHIVE_HINT),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive", _ARCHIVE_HINT),
    (b"Rar!\x1a\x07", 0, "a RAR archive", _ARCHIVE_HINT),
    (b"\x28\xb5\x2f\xfd", 0, "a Zstandard-compressed file", _ARCHIVE_HINT),
    (b"ustar", 257, "a tar archive", _ARCHIVE_HINT),
    (b"\x7fELF", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\xcf\xfa\xed\xfe", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\xfe\xed\xfa\xcf", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\xca\xfe\xba\xbe", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\x00asm", 0, "a program (WebAssembly)", _NOT_A_TABLE_HINT),
    (
        b"SQLite format 3\x00",
        0,
        "an SQLite database",
        "Export the table you need as CSV (for example with the sqlite3 command '.mode csv'), then upload that.",
    ),
    (b"\x93NUMPY", 0, "a NumPy array file", "Save the data as CSV or Parquet and upload that."),
    (b"\x89HDF\r\n\x1a\n", 0, "an HDF5 file", "Save the table as CSV or Parquet and upload that."),
    (
        b"ARROW1",
        0,
        "an Arrow/Feather file",
        "Save it as Parquet (for example with pandas' to_parquet) and upload that.",
    ),
    (b"ORC", 0, "an ORC file", "Save it as Parquet and upload that."),
    (b"Obj\x01", 0, "an Avro file", "Save it as Parquet and upload that."),
    (b"{\\rtf", 0, "an RTF document", "Save the table as CSV or Excel and upload that."),
    (b"%!PS", 0, "a PostScript document", _NOT_A_TABLE_HINT),
    (b"\x00\x00\x01\x00", 0, "an icon image", _NOT_A_TABLE_HINT),
    (b"OggS", 0, "an audio or video file", _NOT_A_TABLE_HINT),
    (b"ID3", 0, "an MP3 audio file", _NOT_A_TABLE_HINT),
    (b"\x1aE\xdf\xa3", 0, "a video file", _NOT_A_TABLE_HINT),
)


def refusal(label: str, what: str, hint: str) -> InputError:
    return InputError(f"'{label}' is {what}, not a table.", hint)


def sniff_binary(head: bytes, src: Source, label: str) -> str:
    """Return "zip", "parquet" or "text"; raise for anything that is not a table."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith(b"PAR1"):
        if src.size >= 12 and src.tail(4) == b"PAR1":
            return "parquet"
        raise InputError(
            f"'{label}' starts like a Parquet file but is incomplete or damaged.",
            "Save or download the Parquet file again, or upload it as CSV.",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputError(
            f"'{label}' is an old-format Excel (.xls) file or a password-protected workbook, which Keel cannot read.",
            "Open it in Excel or LibreOffice and save it as .xlsx (without a password) or as CSV.",
        )
    for magic, offset, what, hint in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"BZh" and head[4:10] != b"1AY&SY":
                continue
            if magic == b"ORC" and b"\x00" not in head[:64]:
                continue
            if magic == b"ID3" and b"\x00" not in head[:16]:
                continue
            if magic == b"\x00\x00\x01\x00" and head[:4] != magic:
                continue
            raise refusal(label, what, hint)
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        what = "a WebP image" if head[8:12] == b"WEBP" else "an audio or video file"
        raise refusal(label, what, _NOT_A_TABLE_HINT)
    if (
        head.startswith(b"BM")
        and len(head) >= 26
        and head[6:10] == b"\x00\x00\x00\x00"
        and (int.from_bytes(head[2:6], "little") in (src.size, 0) or b"\x00" in head[14:18])
    ):
        raise refusal(label, "a BMP image", _NOT_A_TABLE_HINT)
    if head.startswith(b"MZ") and len(head) >= 64:
        pe = int.from_bytes(head[60:64], "little")
        if head[pe : pe + 4] == b"PE\x00\x00" or b"This program cannot be run in DOS" in head[:512]:
            raise refusal(label, "a Windows program (executable file)", _NOT_A_TABLE_HINT)
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        raise _pickle(label)
    if head[:4] in (b"\x78\x9c", b"\x78\xda") and b"\x00" in head[:256]:
        raise refusal(label, "a compressed file", _ARCHIVE_HINT)  # zlib (joblib & co.)
    stripped = head.lstrip()
    if stripped.startswith((b"(dp0", b"(lp0", b"ccopy_reg\n", b"c__builtin__\n", b"(tp0", b"(I")) and (
        src.tail(1) == b"."
    ):
        raise _pickle(label)
    return "text"


def _pickle(label: str) -> InputError:
    return InputError(
        f"'{label}' is a Python pickle file, not a table. Keel never opens pickle files, because "
        "opening one can run any code hidden inside it.",
        "Save the data as CSV, Excel (.xlsx) or Parquet and upload that.",
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def check_not_binary(text: str, label: str) -> None:
    sample = text[:65536]
    if not sample:
        return
    bad = len(_CONTROL.findall(sample))
    if "\x00" in sample or bad / len(sample) > 0.01 or sample.count("\ufffd") / len(sample) > 0.1:
        raise InputError(
            f"'{label}' contains binary data, not text or a spreadsheet.",
            _UPLOAD_HINT,
        )


_MARKUP = re.compile(
    r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|\?xml|svg|rss|feed|!doctype|table|div|script)\b",
    re.IGNORECASE | re.DOTALL,
)


def check_not_markup(text: str, label: str) -> None:
    start = text.lstrip("\ufeff")[:4096]
    match = _MARKUP.match(start)
    if not match:
        return
    lowered = start.lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        raise InputError(
            f"'{label}' is an Excel 2003 XML spreadsheet, which Keel cannot read.",
            "Open it in Excel or LibreOffice and save it as .xlsx or CSV.",
        )
    if "<?xml" in lowered[:100] and "<html" not in lowered and "<svg" not in lowered:
        raise refusal(label, "an XML document", "Export the data as CSV, Excel (.xlsx) or JSON and upload that.")
    if "<svg" in lowered:
        raise refusal(label, "an SVG image", _NOT_A_TABLE_HINT)
    raise refusal(
        label,
        "a web page (HTML)",
        "Download the data as CSV or Excel instead of saving the web page.",
    )

"""The scoring API's keys and traffic (``python -m core serve``, ``python -m core apikey``).

A key's secret is never stored: only its SHA-256 (the secret is 256 random bits, so a plain hash is as strong
as a slow one) and its first characters, so a person can tell two keys apart. Revoking a key deletes its row;
the audit log keeps who created and revoked it. Traffic arrives in batches from the server, already counted
per minute, key, model and answer, so scoring never waits for the database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InputError, NotFoundError
from core.store.db import audit_event, connect, insert_row, transaction, utc_now

_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ApiKey:
    name: str
    key_sha256: str
    key_start: str
    scope: tuple[str, ...]  # model references this key may score; empty: every model
    rate_per_minute: int
    created_at: str


@dataclass(frozen=True)
class TrafficRow:
    minute: str  # ISO 8601 (UTC), the start of the minute
    key_name: str
    model_id: int | None
    status: int
    requests: int
    rows: int
    total_ms: float
    max_ms: float


def _key_from_row(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        name=row["name"],
        key_sha256=row["key_sha256"],
        key_start=row["key_start"],
        scope=tuple(json.loads(row["scope_json"] or "[]")),
        rate_per_minute=int(row["rate_per_minute"]),
        created_at=row["created_at"],
    )


def check_key_name(name: str) -> str:
    text = str(name).strip()
    if not _KEY_NAME.fullmatch(text):
        raise InputError(
            f"'{text[:40]}' is not a usable key name.",
            "Use up to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. till-1).",
        )
    return text


def save_api_key(
    name: str,
    key_sha256: str,
    key_start: str,
    scope: tuple[str, ...],
    rate_per_minute: int,
    home: Path | None = None,
) -> ApiKey:
    """Keep a new key (its hash); a name already in use is refused."""
    name = check_key_name(name)
    with transaction(home) as db:
        if list(db.table("api_keys").rows_where("name = ?", [name], limit=1)):
            raise InputError(
                f"There is already a key called '{name}'.",
                f"Choose another name, or revoke the old key first (`python -m core apikey revoke {name}`).",
            )
        row = {
            "name": name,
            "key_sha256": key_sha256,
            "key_start": key_start,
            "scope_json": json.dumps(list(scope)),
            "rate_per_minute": int(rate_per_minute),
            "created_at": utc_now(),
        }
        new_id = insert_row(db, "api_keys", row)
        audit_event(db, "apikey", "api_key", new_id, name=name, scope=list(scope), rate_per_minute=rate_per_minute)
    return _key_from_row(row)


def list_api_keys(home: Path | None = None) -> list[ApiKey]:
    with connect(home) as db:
        return [_key_from_row(r) for r in db.table("api_keys").rows_where(order_by="name")]


def revoke_api_key(name: str, home: Path | None = None) -> None:
    """Delete a key: from the next check on, the API refuses it (a running server notices within seconds)."""
    text = str(name).strip()
    with transaction(home) as db:
        rows = list(db.table("api_keys").rows_where("name = ?", [text], limit=1))
        if not rows:
            raise NotFoundError(
                f"There is no API key called '{text[:64]}'.", "`python -m core apikey list` lists them."
            )
        db.execute("DELETE FROM api_keys WHERE id = ?", [rows[0]["id"]])
        audit_event(db, "apikey_revoke", "api_key", rows[0]["id"], name=text)


def record_api_traffic(rows: list[TrafficRow], home: Path | None = None) -> None:
    """Add counted traffic (one transaction for the whole batch)."""
    if not rows:
        return
    with transaction(home) as db:
        for r in rows:
            insert_row(
                db,
                "api_traffic",
                {
                    "minute": r.minute,
                    "key_name": r.key_name,
                    "model_id": r.model_id,
                    "status": r.status,
                    "requests": r.requests,
                    "rows": r.rows,
                    "total_ms": r.total_ms,
                    "max_ms": r.max_ms,
                },
            )


def api_traffic(since: str | None = None, home: Path | None = None) -> list[TrafficRow]:
    """The API's traffic per minute, key, model and answer (status), oldest first; from ``since`` (ISO 8601)."""
    where, args = ("minute >= ?", [since]) if since else ("1 = 1", [])
    sql = (
        "SELECT minute, key_name, model_id, status, SUM(requests), SUM(rows), SUM(total_ms), MAX(max_ms) "
        f"FROM api_traffic WHERE {where} GROUP BY minute, key_name, model_id, status "
        "ORDER BY minute, key_name, model_id, status"
    )
    with connect(home) as db:
        found = db.execute(sql, args).fetchall()
    return [
        TrafficRow(
            m, k, None if mid is None else int(mid), int(s), int(n), int(rows or 0), float(t or 0), float(x or 0)
        )
        for m, k, mid, s, n, rows, t, x in found
    ]

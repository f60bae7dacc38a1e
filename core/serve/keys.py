"""API keys: making one, checking the one a request presents, its model scope and its rate limit.

* :func:`new_key` makes a secret (256 random bits) and stores only its SHA-256 (``core.store``).
* :class:`KeyRing` answers "which key is this?" from a copy of the stored keys refreshed every few seconds, so
  a revoked key stops working without a restart and a request never waits for the database; hashes are
  compared with :func:`hmac.compare_digest`.
* :class:`RateLimiter` is a token bucket per key, in memory: a key may spend a burst, then its rate.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core import store
from core.errors import InputError, NotFoundError

KEY_PREFIX = "keel_"
DEFAULT_RATE_PER_MINUTE = 600
REFRESH_SECONDS = 2.0
MISS_REREAD_SECONDS = 0.25  # an unknown secret re-reads the keys at most this often (a new key works at once)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_key(name: str, scope: tuple[str, ...] = (), rate_per_minute: int = DEFAULT_RATE_PER_MINUTE) -> str:
    """Make and keep a new key; returns the secret, which is shown once and never stored."""
    if rate_per_minute < 1:
        raise InputError("A key's rate must be at least 1 request a minute.", "Use e.g. --rate 600.")
    for ref in scope:
        store.resolve_model(ref)  # a scope naming no model is a typo: say so now, not at the first request
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    store.save_api_key(name, key_hash(secret), secret[: len(KEY_PREFIX) + 4], tuple(scope), rate_per_minute)
    return secret


def _bare_name(ref: str) -> bool:
    return not any(ch in ref for ch in ":@") and not ref.isdigit()


def needs_store(key: store.ApiKey) -> bool:
    """Must :func:`in_scope` look a reference up for this key (its scope names a version, a stage or an id)?"""
    return not all(_bare_name(ref) for ref in key.scope)


def in_scope(
    key: store.ApiKey, info: store.ModelInfo, resolve: Callable[[str], store.ModelInfo] = store.resolve_model
) -> bool:
    """May ``key`` score the model ``info``? A bare name in the scope covers every version of that name; an id,
    ``name:version`` or ``name@stage`` covers the model it names at the time of the request (as ``resolve``
    finds it: the store, or the server's :class:`core.serve.scoring.Resolver`)."""
    if not key.scope:
        return True
    for ref in key.scope:
        if _bare_name(ref):
            if ref == info.name:
                return True
            continue
        try:
            if resolve(ref).id == info.id:
                return True
        except NotFoundError:  # a scope entry whose model was deleted covers nothing
            continue
    return False


class KeyRing:
    """The stored keys, re-read at most every ``refresh_s`` seconds."""

    def __init__(self, refresh_s: float = REFRESH_SECONDS) -> None:
        self._refresh_s = refresh_s
        self._keys: list[store.ApiKey] = []
        self._read_at = -math.inf
        self._lock = threading.Lock()

    def _current(self) -> list[store.ApiKey]:
        with self._lock:
            if time.monotonic() - self._read_at >= self._refresh_s:
                self._keys = store.list_api_keys()
                self._read_at = time.monotonic()
            return self._keys

    def find(self, secret: str) -> store.ApiKey | None:
        """The key whose secret this is, or None. Every stored hash is compared in constant time. A secret not
        in the copy makes the ring read the store again (at most every ``MISS_REREAD_SECONDS``), so a key made a
        moment ago works at once; revoking still takes up to ``refresh_s``."""
        presented = key_hash(secret)
        found = self._match(presented, self._current())
        if found is None:
            with self._lock:
                stale = time.monotonic() - self._read_at >= MISS_REREAD_SECONDS
            if stale:
                with self._lock:
                    self._keys = store.list_api_keys()
                    self._read_at = time.monotonic()
                found = self._match(presented, self._keys)
        return found

    @staticmethod
    def _match(presented: str, keys: list[store.ApiKey]) -> store.ApiKey | None:
        found = None
        for key in keys:
            if hmac.compare_digest(presented, key.key_sha256):
                found = key
        return found


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per key: ``rate_per_minute`` tokens a minute, up to a burst of ten seconds' worth (at least
    one). :meth:`take` returns 0 when the request may go ahead, else the seconds to wait. In memory, per process:
    ``share`` is the part of each key's rate this process allows."""

    def __init__(self, share: float = 1.0) -> None:
        self._share = share  # with N worker processes, each allows 1/N of a key's rate
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, name: str, rate_per_minute: int) -> float:
        per_second = rate_per_minute * self._share / 60.0
        cap = max(1.0, math.ceil(rate_per_minute * self._share / 6))
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = _Bucket(cap, now)
            bucket.tokens = min(cap, bucket.tokens + (now - bucket.at) * per_second)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / per_second

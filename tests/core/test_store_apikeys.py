"""The scoring API's keys and traffic in the store (migration m005), on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest

from core import store
from core.errors import InputError, NotFoundError
from core.serve.keys import KeyRing, RateLimiter, key_hash

pytestmark = pytest.mark.usefixtures("store_backend")


def test_keys_are_kept_as_fingerprints_listed_and_revoked() -> None:
    store.save_api_key("till-1", key_hash("keel_secret"), "keel_secr", ("churn", "sales:2"), 120)
    [key] = store.list_api_keys()
    assert (key.name, key.scope, key.rate_per_minute, key.key_start) == ("till-1", ("churn", "sales:2"), 120, "keel_secr")
    assert key.key_sha256 == key_hash("keel_secret") != "keel_secret"
    with pytest.raises(InputError, match="There is already a key called 'till-1'"):
        store.save_api_key("till-1", key_hash("other"), "keel_othe", (), 60)
    assert KeyRing(refresh_s=0).find("keel_secret") == key
    assert KeyRing(refresh_s=0).find("keel_secreT") is None
    store.revoke_api_key("till-1")
    assert store.list_api_keys() == [] and KeyRing(refresh_s=0).find("keel_secret") is None
    with pytest.raises(NotFoundError, match="There is no API key called 'till-1'"):
        store.revoke_api_key("till-1")
    actions = [e.action for e in store.audit_log()]
    assert "apikey" in actions and "apikey_revoke" in actions


def test_traffic_is_summed_per_minute_key_model_and_answer() -> None:
    minute = "2026-12-07T10:00:00+00:00"
    store.record_api_traffic([store.TrafficRow(minute, "a", 1, 200, 3, 30, 12.5, 6.0)])
    store.record_api_traffic(
        [store.TrafficRow(minute, "a", 1, 200, 2, 2, 4.0, 9.0), store.TrafficRow(minute, "", None, 401, 1, 0, 0.2, 0.2)]
    )
    found = store.api_traffic(since="2026-12-07T09:59:00+00:00")
    assert found == [
        store.TrafficRow(minute, "", None, 401, 1, 0, 0.2, 0.2),
        store.TrafficRow(minute, "a", 1, 200, 5, 32, 16.5, 9.0),
    ]
    assert store.api_traffic(since="2026-12-07T10:01:00+00:00") == []


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65, "-lead", "naïve"], ids=["empty", "space", "long", "dash", "accent"])
def test_unusable_key_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="is not a usable key name"):
        store.save_api_key(bad, key_hash("s"), "keel_", (), 60)


def test_the_rate_limit_allows_a_burst_then_the_rate() -> None:
    limiter = RateLimiter()
    assert [limiter.take("k", 60) for _ in range(10)] == [0.0] * 10  # ten seconds' worth at once
    wait = limiter.take("k", 60)
    assert 0.9 < wait <= 1.0  # then one a second
    assert limiter.take("other", 60) == 0.0  # each key has its own bucket

"""PII detection (with checksum validation) and the mask / pseudonymise transforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import pii
from core.errors import InputError

VISA = "4111 1111 1111 1111"  # a well-known Luhn-valid test number
VISA_BAD = "4111 1111 1111 1112"  # same digits, wrong check digit
IBAN_DE = "DE89 3704 0044 0532 0130 00"  # the standard example IBAN (valid mod-97)
IBAN_DE_BAD = "DE88 3704 0044 0532 0130 00"  # check digits off by one


def text(values: list[object]) -> pd.Series:
    return pd.Series(values, dtype="str", name="col")


# --- validators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("79927398713", True),  # the textbook Luhn example
        ("79927398710", False),
        ("5500005555555559", True),
        ("12a4", False),
        ("", False),
    ],
    ids=["visa", "visa-bad-check", "textbook", "textbook-bad", "mastercard", "not-digits", "empty"],
)
def test_luhn(number: str, valid: bool) -> None:
    assert bool(pii.luhn_valid([number])[0]) is valid


def test_card_valid_needs_issuer_prefix_and_length() -> None:
    # 0000000000000000 passes Luhn but no card starts with 0; 12 digits are too few
    assert pii.card_valid(["0000 0000 0000 0000", "4111-1111-1111-1111", "411111111111"]).tolist() == [
        False, True, False,
    ]


@pytest.mark.parametrize(
    ("iban", "valid"),
    [(IBAN_DE, True), (IBAN_DE_BAD, False), ("GB82WEST12345698765432", True), ("GB82WEST1234569876543", False)],
    ids=["de", "de-bad-checksum", "gb", "gb-too-short"],
)
def test_iban(iban: str, valid: bool) -> None:
    assert bool(pii.iban_valid([iban])[0]) is valid


# --- detection --------------------------------------------------------------------------------


def test_valid_card_is_found_and_masked_in_the_example() -> None:
    scan = pii.scan(text([VISA, "hello", "5500 0055 5555 5559"]))
    (hit,) = scan.hits
    assert hit.pii_type == "card" and hit.count == 2
    assert hit.example == "**** **** **** 1111"


def test_random_16_digit_numbers_are_not_cards() -> None:
    rng = np.random.default_rng(3)
    numbers = ["".join(map(str, rng.integers(0, 10, 16))) for _ in range(300)]
    assert "card" not in pii.scan(text(numbers)).types


def test_invalid_card_number_alone_is_not_a_card() -> None:
    assert pii.scan(text([VISA_BAD])).types == ()


def test_card_numbers_stored_as_integers_are_found() -> None:
    s = pd.Series([4111111111111111, 5500005555555559, 4012888888881881], name="cc")
    assert pii.scan(s).types == ("card",)


def test_iban_needs_a_valid_checksum() -> None:
    assert pii.scan(text([IBAN_DE, "x"])).types == ("iban",)
    assert pii.scan(text([IBAN_DE_BAD, "x"])).types == ()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["ann@example.com", "bob.smith@mail.co.uk"], "email"),
        (["Write to ann@example.com please", "no email here"], "email"),
        (["+44 20 7946 0958", "+1 (555) 123-4567", "020 7946 0958"], "phone"),
        (["192.168.0.1", "10.0.0.254", "8.8.8.8"], "ip"),
        (["2001:db8:85a3::8a2e:370:7334", "fe80::1:2:3"], "ip"),
        (["123-45-6789", "078-05-1120"], "ssn"),
        (["AB 12 34 56 C", "QQ123456C"], "uk_ni"),
    ],
    ids=["email", "email-in-text", "phone", "ipv4", "ipv6", "ssn", "uk-ni"],
)
def test_detects(values: list[str], expected: str) -> None:
    assert expected in pii.scan(text(values)).types


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-31", "2023-12-01", "1999-05-17"],  # dates look like phone numbers to a naive regex
        ["12.50", "3.75", "1000.00"],
        ["000-12-3456", "666-45-6789", "900-11-2222"],  # never-issued SSN ranges
        ["version 1.2", "red", "blue"],
        ["12:30:45", "08:00:00"],  # times are not IPv6
    ],
    ids=["dates", "decimals", "invalid-ssn", "plain-words", "times"],
)
def test_no_false_positives(values: list[str]) -> None:
    assert pii.scan(text(values)).types == ()


def test_person_names_by_column_name_and_content() -> None:
    names = text(["Anna Berg", "Tom Hale", "Lisa Marie Kent"])
    assert pii.scan(names, "customer_name").types == ("person_name",)
    assert pii.scan(names, "first_name").types == ("person_name",)
    # a product called 'Green Tea' is not a person
    assert pii.scan(text(["Green Tea", "Black Coffee"]), "product_name").types == ()


def test_person_names_by_content_alone_need_many_distinct_values() -> None:
    rng = np.random.default_rng(0)
    first = ["Anna", "Tom", "Lisa", "Omar", "Jin", "Eva", "Paul", "Nora", "Ivan", "Maya"]
    last = ["Berg", "Hale", "Kent", "Diaz", "Park", "Lund", "Ross", "Vega", "Moss", "Shaw"]
    people = text([f"{rng.choice(first)} {rng.choice(last)}" for _ in range(60)])
    assert pii.scan(people, "contact").types == ("person_name",)
    cities = text(["New York", "Los Angeles", "San Diego"] * 20)
    assert pii.scan(cities, "place").types == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("name", True), ("first_name", True), ("CustomerName", True), ("surname", True),
     ("product_name", False), ("company name", False), ("file_name", False), ("username_id", False)],
)
def test_is_name_column(name: str, expected: bool) -> None:
    assert pii.is_name_column(name) is expected


def test_scan_samples_large_columns() -> None:
    s = text([f"user{i}@example.com" for i in range(25_000)])
    scan = pii.scan(s)
    assert scan.scanned == pii.SAMPLE_SIZE and scan.total == 25_000
    assert scan.hits[0].share == 1.0


def test_scan_ignores_dates_and_booleans() -> None:
    assert pii.scan(pd.Series(pd.date_range("2024-01-01", periods=3))).types == ()
    assert pii.scan(pd.Series([True, False])).types == ()


# --- transforms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pii_type", "value", "masked"),
    [
        ("email", "john.smith@example.com", "j***@example.com"),
        ("card", VISA, "**** **** **** 1111"),
        ("card", "4111111111111111", "**** **** **** 1111"),
        ("iban", IBAN_DE, "DE** **** **** ****"),
        ("ssn", "123-45-6789", "***-**-6789"),
        ("ip", "192.168.1.20", "192.*.*.*"),
        ("phone", "+44 20 7946 0958", "*** *** **58"),
        ("person_name", "Anna Berg", "A. B."),
        ("email", "mail ann@example.com today", "mail a***@example.com today"),
    ],
    ids=["email", "card-spaced", "card-plain", "iban", "ssn", "ip", "phone", "name", "email-in-text"],
)
def test_mask(pii_type: str, value: str, masked: str) -> None:
    out = pii.mask(text([value, None]), pii_type)
    assert out.iloc[0] == masked
    assert pd.isna(out.iloc[1])
    assert out.name == "col"


def test_mask_unknown_type_is_an_input_error() -> None:
    with pytest.raises(InputError, match="Unknown kind of personal data"):
        pii.mask(text(["x"]), "passport")


def test_pseudonymise_is_deterministic_per_key_and_keeps_equality() -> None:
    s = text(["ann@example.com", "bob@example.com", "ann@example.com", None])
    a = pii.pseudonymise(s, b"k" * 32)
    b = pii.pseudonymise(s, b"k" * 32)
    other = pii.pseudonymise(s, b"z" * 32)
    assert a.tolist()[:3] == b.tolist()[:3]
    assert a.iloc[0] == a.iloc[2] != a.iloc[1]
    assert a.iloc[0] != other.iloc[0]
    assert pd.isna(a.iloc[3])
    assert len(a.iloc[0]) == 16 and "ann" not in a.iloc[0]


def test_pseudonymise_needs_a_real_key() -> None:
    with pytest.raises(InputError, match="secret key") as err:
        pii.pseudonymise(text(["x"]), b"short")
    assert "workspace" in err.value.hint


def test_redact_masks_everything_it_recognises_and_truncates() -> None:
    long = pii.redact("contact ann@example.com or 4111 1111 1111 1111")
    assert long.startswith("contact a***@example.com or **** ****")
    assert len(long) == 40 and long.endswith("…") and "1111" not in long
    assert pii.redact("plain") == "plain"
    assert pii.redact("2024-01-01 00:00:00") == "2024-01-01 00:00:00"


def test_mask_detected_masks_all_found_types() -> None:
    s = text(["ann@example.com", "call +44 20 7946 0958", "bob@example.com", "+1 555 123 4567"])
    masked, types = pii.mask_detected(s)
    assert set(types) == {"email", "phone"}
    assert "ann" not in " ".join(masked.dropna())
    assert "7946" not in " ".join(masked.dropna())


def test_whole_floats_beyond_int64_are_masked_without_crashing() -> None:
    # found by hypothesis: 1e19 is a whole number but no int64, so it cannot print as one
    s = pd.Series([1e19, 0.0, 5972304440000000.0])
    masked, _ = pii.mask_detected(s, ["phone"])
    assert len(masked) == 3
    cards = pd.Series([4111111111111111.0, 5500000000000004.0])  # card numbers read as floats
    out = pii.mask(cards, "card")
    assert all("." not in v for v in out) and all(v.endswith(("1111", "0004")) for v in out)

"""The sample datasets shipped in ``data/``, one click away on the Home page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import store

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Sample:
    key: str
    file: str
    title: str
    who: str
    description: str
    target: str | None = None


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "shop_sales",
        "shop_sales.csv",
        "A small shop's daily sales",
        "For shop owners",
        "Two years of daily units sold for eleven products. Forecast next month and get an order list.",
    ),
    Sample(
        "customer_churn",
        "customer_churn.csv",
        "Customers who left (or stayed)",
        "For analysts",
        "A customer table with a yes/no outcome — and planted problems for Keel to find: "
        "missing values, an id column, a column that leaks the answer, email addresses.",
        target="churned",
    ),
    Sample(
        "penguins",
        "penguins.csv",
        "Palmer penguins",
        "For students",
        "A real, well-known dataset: body measurements of 344 penguins of three species. "
        "Can a simple model tell the species apart?",
        target="species",
    ),
    Sample(
        "shop_calendar",
        "shop_calendar.csv",
        "A shop's sales with holidays",
        "For shop owners",
        "Six products, two years: closed at Christmas and New Year, promotions (one planned for January), days out of "
        "stock. Forecast January with England's holidays.",
    ),
)


def get_sample(key: str) -> Sample:
    for sample in SAMPLES:
        if sample.key == key:
            return sample
    raise KeyError(key)


def load_sample(key: str) -> store.DatasetInfo:
    """Read a sample from ``data/`` and keep it in the store (once; later clicks reuse it)."""
    from core.data.ingest import read_table

    sample = get_sample(key)
    path = DATA_DIR / sample.file
    table = read_table(path, name=sample.file)
    return store.save_dataset(
        table.frame,
        sample.title,
        original_name=sample.file,
        source_format=table.format,
        size_bytes=table.size_bytes,
        notes=table.notes,
        change="Sample data",
    )

"""The ``mixed_types`` check. Finds text columns where many values are numbers or dates and the rest aren't."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import vocab
from core.data import pii
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.facts import SAMPLE_ROWS, SEED, sample_positions
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

MIXED_TYPES = 0.2  # >= 20% of values are numbers (or dates) while others aren't
MIXED_WARNING = 0.9  # >= 90% numbers: a number column with a few stray values, worth fixing
# product or part codes: digits with capital letters before or after (45819B, C2034, AB-1200); not
# units, which are written in small letters (12kg)
_CODE_RE = r"^\s*[A-Z]{0,4}[-_/.]?\d+[-_/.]?[A-Z]{1,4}\d*\s*$|^\s*[A-Z]{1,4}[-_/.]?\d+\s*$"
_NUMBER_RE = (
    r"^\s*[-+]?[$€£¥]?\s*(?:\d{1,3}(?:[,' ]\d{3})+|\d+)(?:[.,]\d+)?(?:[eE][-+]?\d+)?\s*%?\s*$"
    r"|^\s*[-+]?[$€£¥]?\s*[.,]\d+\s*$"
)
_DATE_RE = (
    r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\s*$"
    r"|^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\s*$|^\s*\d{4}/\d{1,2}/\d{1,2}\s*$"
)


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical", "text", "id_like")):
        f = ctx.facts[col]
        if f.family != "string" or f.n_valid == 0:
            continue
        if f.n_unique <= SAMPLE_ROWS:  # exact: test each distinct value once, weight by its count
            values = pa.array(pd.Index(f.uniques).astype("str").array)
            weights = f.counts.astype("float64")
            exact = True
        else:
            pos = sample_positions(f.n, SAMPLE_ROWS, f.codes >= 0, seed=SEED + 2)
            values = pa.array(f.series.iloc[pos].array)
            weights = np.ones(len(pos))
            exact = False
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        is_num = pc.match_substring_regex(values, _NUMBER_RE).to_numpy(zero_copy_only=False)
        is_date = pc.match_substring_regex(values, _DATE_RE).to_numpy(zero_copy_only=False) & ~is_num
        total = weights.sum()
        p_num, p_date = float(weights[is_num].sum() / total), float(weights[is_date].sum() / total)
        if max(p_num, p_date) < threshold:
            continue
        typed = is_num if p_num >= p_date else is_date
        what = "numbers" if p_num >= p_date else "dates"
        p = max(p_num, p_date)
        if p >= 1.0:
            continue
        odd = np.flatnonzero(~typed)
        odd = odd[np.argsort(-weights[odd], kind="stable")][:3]
        examples = [pii.redact(values[int(i)].as_py(), 30) for i in odd]
        n_odd = round(float(weights[~typed].sum()) * (1 if exact else f.n_valid / total))
        about = "" if exact else "about "
        msg = (
            f"{quote(col)} is mostly {what} ({vocab.percent(p)}) but {about}{vocab.count(n_odd, 'value')} "
            f"{'is' if n_odd == 1 else 'are'} not "
            f"(e.g. {', '.join(repr(e) for e in examples)})."
        )
        if p < 0.5:
            msg = (
                f"{quote(col)} mixes {what} ({vocab.percent(p)} of values) with other text "
                f"(e.g. {', '.join(repr(e) for e in examples)})."
            )
        sev = "warning" if p >= MIXED_WARNING else "info"
        advice = (
            f"A column that mixes {what} and text can only be used as labels. If it should hold {what}, "
            "fix or clear the other values in the file (blanks count as missing) and load it again."
        )
        odd_all = np.flatnonzero(~typed)
        coded = pc.match_substring_regex(values.take(pa.array(odd_all)), _CODE_RE).to_numpy(zero_copy_only=False)
        if what == "numbers" and float(weights[odd_all[coded]].sum()) >= 0.9 * float(weights[odd_all].sum()):
            # '45819B', 'C2034': product or part codes, numbered with a letter here and there
            sev = "info"
            advice = (
                "They look like codes (product or part numbers), so the column is kept as labels, which "
                "is right for codes. Nothing to do, unless it should hold amounts: then fix those values."
            )
        out.append(
            make_finding(
                "mixed_types",
                sev,
                col,
                msg,
                advice,
                None,
                type=what,
                typed_share=p,
                untyped=n_odd,
                examples=examples,
                exact=exact,
            )
        )
    return out


CHECK = Check(
    code="mixed_types",
    title="Numbers mixed with text",
    kinds=("categorical", "text", "id_like"),
    threshold=MIXED_TYPES,
    reason="From 20% numbers (or dates) the column was probably meant to hold them; from 90% it is a number column with a few stray values, worth fixing.",
    rule=f">= {MIXED_TYPES:.0%} numbers/dates mixed with other text -> info; warning when >= {MIXED_WARNING:.0%}.",
    help="Finds text columns where many values are numbers or dates and the rest aren't.",
    run=run,
)

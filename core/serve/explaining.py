"""``POST /v1/models/{ref}/predict?explain=true``: each row's contributions and its sentence, from Keel's own
explainer (:mod:`core.models.explain`), as ``python -m core predict --explain`` gives them.

Each answered row gains the CLI's ``contribution_base`` and one ``contribution_<column>`` per column sent (a
column the model does not use contributes 0), and ``explanation``: the few columns that pushed that answer most,
in a sentence (the Predict page's). A linear model's contributions start from a sample of the rows it learned
from, as the CLI's do; that sample is read from the store once per model.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from core import store
from core.models import KeelModel
from core.models.explain import background_for, explain_frame, explain_row, needs_background
from core.serve.scoring import Slot, outputs, slot_of

SENTENCE_COLUMN = "explanation"
BACKGROUNDS = 4


class Backgrounds:
    """The rows each linear model's contributions start from (None: the model needs none, or they are gone)."""

    def __init__(self, size: int = BACKGROUNDS) -> None:
        self._size = size
        self._found: OrderedDict[Slot, pd.DataFrame | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, info: store.ModelInfo, model: KeelModel) -> pd.DataFrame | None:
        slot = slot_of(info)
        with self._lock:
            if slot in self._found:
                self._found.move_to_end(slot)
                return self._found[slot]
        found = background_for(info.dataset_id) if needs_background(model) else None
        with self._lock:
            self._found[slot] = found
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return found


def explained(frame: pd.DataFrame, model: KeelModel, background: pd.DataFrame | None) -> pd.DataFrame:
    """``frame``'s outputs (:func:`core.serve.scoring.outputs`), the CLI's contribution columns and the sentence."""
    added = outputs(model.prepare(frame), model, frame)
    if model.task == "classification":
        given: Any = added[[f"proba_{c}" for c in model.classes_]].to_numpy(dtype=float)
    else:
        given = added["prediction"].to_numpy()
    found = explain_frame(frame, model, background=background, outputs=given)
    sentences = [explain_row(found, frame, i).sentence for i in range(len(frame))]
    contributions = found.columns([str(c) for c in frame.columns])
    words = pd.DataFrame({SENTENCE_COLUMN: np.asarray(sentences, dtype=object)}, index=frame.index)
    return pd.concat([added, contributions, words], axis=1)

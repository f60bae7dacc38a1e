"""Each input's share of a tree ensemble's answer for one row: TreeSHAP in numpy, no compiled extension.

:func:`tree_contributions` gives, for a random forest or a histogram gradient boosting model of
scikit-learn, contributions ``phi`` (rows, inputs, outputs) and a ``base`` (outputs,) with
``base + phi.sum(axis=1)`` equal to the ensemble's raw output (its averaged chances, its summed score, or its
number) for every row, to rounding.

* **TreeSHAP** (path-dependent, Lundberg et al. 2018): for each leaf, a row's Shapley shares depend only on
  which of the leaf's path features the row agrees with (a pattern of bits). With at most
  :data:`MAX_SLOTS` features on any path, the shares of every pattern of every leaf are computed once per
  tree; a row then only looks its patterns up. Rows that take the same direction at every split share one
  computation. The tests check the results against the ``shap`` package.
* **Path contributions** (Saabas 2014, "treeinterpreter") for ensembles whose trees are too deep for that
  table (a forest grown on thousands of rows): along the row's path through each tree, the change in the
  tree's average answer at each split is credited to the split's column. Exactly additive as well, and
  quick, but not a Shapley value: it can favour columns split on near the leaves.

The method is chosen per model (from the size of its trees), never per table, so a row gets the same
explanation whatever else is scored with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MAX_SLOTS = 10  # distinct features on one path: up to 2**10 patterns per leaf are tabulated once per tree
MAX_TABLE = 500_000  # patterns x leaves x slots tabulated for one tree (else only the patterns rows show)
MAX_PATH_CELLS = 150_000  # leaves x path length over all trees: beyond, the path method (deep forests)
_CHUNK_CELLS = 8_000_000  # rows x leaves x path length held at once


@dataclass(frozen=True)
class _Tree:
    """One tree as plain arrays, with what TreeSHAP needs precomputed for every leaf."""

    feature: np.ndarray  # per internal node
    threshold: np.ndarray  # per internal node (numeric splits)
    missing_left: np.ndarray  # per internal node
    categories: tuple[tuple[np.ndarray, np.ndarray] | None, ...]  # per internal node: (left codes, known codes)
    float32: bool  # scikit-learn's trees compare in float32
    path_nodes: np.ndarray  # (leaves, depth) internal node index; padded with the always-true column
    path_left: np.ndarray  # (leaves, depth) the direction that leads to the leaf
    path_slot: np.ndarray  # (leaves, depth) which of the leaf's features the node splits on
    slot_z: np.ndarray  # (leaves, slots) share of training rows that follow the leaf's path on that feature
    slot_feature: np.ndarray  # (leaves, slots) model input index, -1 for padding
    values: np.ndarray  # (leaves, outputs)
    expected: np.ndarray  # (outputs,) the tree's average answer over its training rows
    children: np.ndarray  # (internal nodes, 2) the child position: >= 0 internal node, < 0 leaf -1 - index
    path_gain: np.ndarray  # (leaves, depth, outputs) change of the average answer at each step (path method)
    leaf_nodes: np.ndarray  # (leaves,) the leaf's node id in the fitted tree


def _depths(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parent, went left from the parent, depth) of every node; the root's parent is -1."""
    n = len(left)
    parent = np.full(n, -1, dtype=np.intp)
    is_left = np.zeros(n, dtype=bool)
    internal = np.flatnonzero(left >= 0)
    parent[left[internal]], parent[right[internal]] = internal, internal
    is_left[left[internal]] = True
    depth = np.zeros(n, dtype=np.intp)
    level, d = np.array([0]), 0
    while len(level):
        depth[level] = d
        inner = level[left[level] >= 0]
        level, d = np.concatenate([left[inner], right[inner]]), d + 1
    return parent, is_left, depth


def _node_means(
    left: np.ndarray, right: np.ndarray, cover: np.ndarray, values: np.ndarray, depth: np.ndarray
) -> np.ndarray:
    """Every node's average answer over the training rows that reach it (leaves: their value), deepest first."""
    means = values.astype(float).copy()
    for d in range(int(depth.max()) - 1, -1, -1):
        at = np.flatnonzero((depth == d) & (left >= 0))
        lc, rc = left[at], right[at]
        total = np.maximum(cover[lc] + cover[rc], 1e-300)[:, None]
        means[at] = (means[lc] * cover[lc][:, None] + means[rc] * cover[rc][:, None]) / total
    return means


def _slots(feat: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, int]:
    """(leaves, depth) slot of each path step: its feature's rank among the path's distinct features, in order of
    first appearance; and the most slots any leaf needs."""
    same = (feat[:, :, None] == feat[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    first = np.argmax(same, axis=1)  # first step with the same feature, for every step
    is_first = (first == np.arange(feat.shape[1])[None, :]) & valid
    order = np.cumsum(is_first, axis=1) - 1
    slot = np.take_along_axis(order, first, axis=1)
    return np.where(valid, slot, 0), max(1, int(is_first.sum(axis=1).max()))


def _build_tree(left: np.ndarray, right: np.ndarray, cover: np.ndarray, values: np.ndarray, split: dict) -> _Tree:
    """Precompute each leaf's path: its features, their cover fractions and the directions taken (vectorised
    over the leaves, one step up the tree at a time)."""
    internal = np.flatnonzero(left >= 0)
    position = np.full(len(left), -1, dtype=np.intp)
    position[internal] = np.arange(len(internal))
    parent, is_left, node_depth = _depths(left, right)
    means = _node_means(left, right, cover, values, node_depth)
    leaf_ids = np.flatnonzero(left < 0)
    n_leaves, n_int = len(leaf_ids), len(internal)
    depth = max(1, int(node_depth[leaf_ids].max()))
    steps = np.full((n_leaves, depth), -1, dtype=np.intp)  # node id at each step from the root
    went = np.ones((n_leaves, depth), dtype=bool)
    child_at = np.zeros((n_leaves, depth), dtype=np.intp)
    cur, rows = leaf_ids.copy(), np.arange(n_leaves)
    for _ in range(depth):
        up = parent[cur]
        moving = up >= 0
        where = node_depth[cur[moving]] - 1
        steps[rows[moving], where] = up[moving]
        went[rows[moving], where] = is_left[cur[moving]]
        child_at[rows[moving], where] = cur[moving]
        cur = np.where(moving, up, cur)
    valid = steps >= 0
    safe = np.where(valid, steps, 0)
    features = np.append(np.asarray(split["feature"], dtype=np.intp), -1)  # a one-leaf tree has none
    feat = np.where(valid, features[np.where(valid, position[safe], -1)], -1)
    slot, slots = _slots(feat, valid)
    path_nodes = np.where(valid, position[safe], n_int)  # column n_int of the directions is all True
    gain = np.where(valid[..., None], means[child_at] - means[safe], 0.0)
    ratio = np.where(valid, cover[child_at] / np.maximum(cover[safe], 1e-300), 1.0)
    slot_z = np.ones((n_leaves, slots))
    slot_feature = np.full((n_leaves, slots), -1, dtype=np.intp)
    r, c = np.nonzero(valid)
    np.multiply.at(slot_z, (r, slot[r, c]), ratio[r, c])
    slot_feature[r, slot[r, c]] = feat[r, c]
    leaf_position = np.full(len(left), -1, dtype=np.intp)
    leaf_position[leaf_ids] = np.arange(n_leaves)
    children = np.zeros((n_int, 2), dtype=np.intp)
    for side, kids in enumerate((left[internal], right[internal])):
        children[:, side] = np.where(left[kids] >= 0, position[kids], -1 - leaf_position[kids])
    return _Tree(
        **split, path_nodes=path_nodes, path_left=went, path_slot=slot, slot_z=slot_z,
        slot_feature=slot_feature, values=values[leaf_ids], expected=means[0], children=children,
        path_gain=gain, leaf_nodes=leaf_ids,
    )  # fmt: skip


def _sklearn_tree(tree: Any, scale: float, classifier: bool) -> _Tree:
    t = tree.tree_
    left, right = np.asarray(t.children_left), np.asarray(t.children_right)
    values = np.asarray(t.value, dtype=float)[:, 0, :]
    if classifier:
        values = values / np.maximum(values.sum(axis=1, keepdims=True), 1e-300)
    internal = left >= 0
    missing = getattr(t, "missing_go_to_left", np.zeros(len(left), dtype=np.uint8))
    split = {
        "feature": np.asarray(t.feature)[internal],
        "threshold": np.asarray(t.threshold)[internal],
        "missing_left": np.asarray(missing, dtype=bool)[internal],
        "categories": (None,) * int(internal.sum()),
        "float32": True,
    }
    return _build_tree(left, right, np.asarray(t.weighted_n_node_samples, dtype=float), values * scale, split)


def _bitset_codes(bitset: np.ndarray) -> np.ndarray:
    bits = np.unpackbits(np.asarray(bitset, dtype="<u4").view(np.uint8), bitorder="little")
    return np.flatnonzero(bits).astype(float)


def _boosting_tree(predictor: Any, known: np.ndarray, f_idx_map: np.ndarray) -> _Tree:
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    left = np.where(leaf, -1, nodes["left"].astype(np.intp))
    right = np.where(leaf, -1, nodes["right"].astype(np.intp))
    internal = ~leaf
    cats: list[tuple[np.ndarray, np.ndarray] | None] = []
    for node in nodes[internal]:
        if node["is_categorical"]:
            left_set = _bitset_codes(predictor.raw_left_cat_bitsets[node["bitset_idx"]])
            cats.append((left_set, _bitset_codes(known[f_idx_map[node["feature_idx"]]])))
        else:
            cats.append(None)
    split = {
        "feature": nodes["feature_idx"][internal].astype(np.intp),
        "threshold": nodes["num_threshold"][internal].astype(float),
        "missing_left": nodes["missing_go_to_left"][internal].astype(bool),
        "categories": tuple(cats),
        "float32": False,
    }
    values = nodes["value"].astype(float)[:, None]
    return _build_tree(left, right, nodes["count"].astype(float), values, split)


def _directions(tree: _Tree, X: np.ndarray) -> np.ndarray:
    """(rows, internal nodes + 1): True where the row goes left; the last column is always True."""
    n = len(X)
    out = np.ones((n, len(tree.feature) + 1), dtype=bool)
    for f in np.unique(tree.feature):
        at = np.flatnonzero(tree.feature == f)
        x = X[:, f].astype(np.float32) if tree.float32 else X[:, f]
        nan = np.isnan(x)
        goes = x[:, None] <= tree.threshold[at][None, :]
        for j, node in enumerate(at):
            cat = tree.categories[node]
            if cat is not None:
                left_set, known = cat
                in_left, in_known = np.isin(x, left_set), np.isin(x, known)
                unknown = nan | (x < 0) | ~(in_left | in_known)
                goes[:, j] = np.where(unknown, tree.missing_left[node], in_left)
            else:
                goes[:, j] = np.where(nan, tree.missing_left[node], goes[:, j])
        out[:, at] = goes
    return out


# --------------------------------------------------------------------------- Shapley shares of a leaf


def _shapley_weights(d: int) -> np.ndarray:
    return np.array([math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d) for k in range(d)])


def _shares(o: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Each path feature's Shapley share of a leaf (value 1): ``o`` (..., slots) 1 where the row agrees with
    the leaf's path on that feature, ``z`` (..., slots) the share of training rows that does."""
    slots = o.shape[-1]
    poly = np.zeros((*np.broadcast_shapes(o.shape, z.shape)[:-1], slots + 1))  # coefficients of prod (z_j + o_j t)
    poly[..., 0] = 1.0
    for j in range(slots):
        shifted = poly[..., :-1] * o[..., j : j + 1]
        poly = poly * z[..., j : j + 1]
        poly[..., 1:] += shifted
    w = _shapley_weights(slots)
    b = np.broadcast_to(poly[..., slots : slots + 1], (*poly.shape[:-1], slots)).copy()  # divide by (z_i + t)
    g_follow = w[slots - 1] * b
    for k in range(slots - 1, 0, -1):
        b = poly[..., k : k + 1] - z * b
        g_follow += w[k - 1] * b
    with np.errstate(divide="ignore", invalid="ignore"):
        g_leave = np.where(z > 0, (poly[..., :slots] @ w)[..., None] / z, 0.0)  # divide by z_i
    return np.asarray((o - z) * np.where(o > 0, g_follow, g_leave))


def _pattern_table(tree: _Tree) -> np.ndarray:
    """(leaves, 2**slots, slots): the shares for every pattern of agreement with every leaf's path."""
    slots = tree.slot_z.shape[1]
    patterns = (np.arange(2**slots)[:, None] >> np.arange(slots)[None, :]) & 1
    o = patterns[None, :, :].astype(float)
    return _shares(o, tree.slot_z[:, None, :])


def _patterns(tree: _Tree, dirs: np.ndarray) -> np.ndarray:
    """(rows, leaves): bit s set where the row agrees with the leaf's path on the leaf's feature s."""
    ok = dirs[:, tree.path_nodes] == tree.path_left[None]
    kind = np.int16 if tree.slot_z.shape[1] < 15 else np.int64
    bits = np.left_shift(np.int64(1), tree.path_slot).astype(kind)
    disagree = np.bitwise_or.reduce(np.where(ok, kind(0), bits[None]), axis=2)
    full = (1 << tree.slot_z.shape[1]) - 1
    return np.asarray(full & ~disagree)


def _leaf_of(tree: _Tree, dirs: np.ndarray) -> np.ndarray:
    """The leaf each row lands in."""
    rows = np.arange(len(dirs))
    node = np.zeros(len(dirs), dtype=np.intp)
    done = np.zeros(len(dirs), dtype=bool)
    leaf = np.zeros(len(dirs), dtype=np.intp)
    for _ in range(tree.path_nodes.shape[1] + 1):
        if done.all():
            break
        step = tree.children[node, np.where(dirs[rows, node], 0, 1)]
        arrived = ~done & (step < 0)
        leaf[arrived] = -1 - step[arrived]
        done |= arrived
        node = np.where(done, 0, step)
    return leaf


# --------------------------------------------------------------------------- rows sharing every direction


def _global_bins(trees: Sequence[tuple[_Tree, int]], X: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per numeric split feature: (every threshold any tree uses, each row's interval among them; missing last).
    Searching once per feature, not once per tree, keeps big tables fast."""
    cuts: dict[int, list[np.ndarray]] = {}
    for tree, _ in trees:
        numeric = np.asarray([c is None for c in tree.categories], dtype=bool)
        for f in np.unique(tree.feature[numeric]):
            cuts.setdefault(int(f), []).append(tree.threshold[numeric & (tree.feature == f)])
    out = {}
    float32 = bool(trees) and trees[0][0].float32
    for f, parts in cuts.items():
        every = np.unique(np.concatenate(parts))
        x = X[:, f].astype(np.float32).astype(float) if float32 else X[:, f]
        codes = np.searchsorted(every, x, side="left")
        codes[np.isnan(x)] = len(every) + 1
        out[f] = (every, codes)
    return out


def _pattern_keys(tree: _Tree, X: np.ndarray, bins: dict[int, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """One whole number per row that is equal for rows taking the same direction at every node of the tree
    (the interval each split feature falls in, combined)."""
    key = np.zeros(len(X), dtype=np.uint64)
    room = 1.0
    for f in np.unique(tree.feature):
        at = tree.feature == f
        if any(tree.categories[i] is not None for i in np.flatnonzero(at)):
            x = X[:, f]
            codes = np.where(np.isnan(x) | (x < 0) | (x > 255), 256, np.nan_to_num(x)).astype(np.uint64)
            radix = 257
        else:
            every, global_codes = bins[int(f)]
            cuts = np.unique(tree.threshold[at])
            lookup = np.empty(len(every) + 2, dtype=np.uint64)
            lookup[0] = 0
            lookup[1 : len(every) + 1] = np.searchsorted(cuts, every, side="right")
            lookup[-1] = len(cuts) + 1  # missing
            codes, radix = lookup[global_codes], len(cuts) + 2
        if room * radix > 2.0**63:  # renumber the patterns so far 0, 1, 2, … before combining further
            dense, distinct = pd.factorize(key)
            key, room = dense.astype(np.uint64), float(len(distinct))
        room *= radix
        key = key * np.uint64(radix) + codes
    return key


def _unique_rows(
    tree: _Tree, X: np.ndarray, bins: dict[int, tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct direction pattern, pattern of each row)."""
    inverse, distinct = pd.factorize(_pattern_keys(tree, X, bins))
    first = np.full(len(distinct), len(X), dtype=np.intp)
    np.minimum.at(first, inverse, np.arange(len(X)))
    return first, inverse


# --------------------------------------------------------------------------- the ensembles


def _realized_shares(tree: _Tree, codes: np.ndarray) -> np.ndarray:
    """(rows, leaves, slots): the shares for the patterns the rows really show, each distinct (leaf, pattern)
    computed once (for trees whose every pattern would be too many to tabulate)."""
    n_leaves, slots = tree.slot_z.shape
    key = codes.astype(np.int64) * n_leaves + np.arange(n_leaves)[None, :]
    distinct, inverse = np.unique(key.ravel(), return_inverse=True)
    leaf, code = distinct % n_leaves, distinct // n_leaves
    o = ((code[:, None] >> np.arange(slots)[None, :]) & 1).astype(float)
    return _shares(o, tree.slot_z[leaf])[inverse].reshape(*codes.shape, slots)


def _tree_part(tree: _Tree, X: np.ndarray, used: np.ndarray, shap: bool) -> np.ndarray:
    """(rows, used inputs x outputs): one tree's contributions for the rows of ``X``."""
    outputs = tree.values.shape[1]
    n_leaves, slots = tree.slot_z.shape
    out = np.empty((len(X), len(used) * outputs))
    chunk = max(1, _CHUNK_CELLS // max(1, tree.path_nodes.size + tree.slot_z.size))
    if shap:
        table = _pattern_table(tree) if slots <= MAX_SLOTS and tree.slot_z.size * 2**slots <= MAX_TABLE else None
        onehot = (tree.slot_feature[..., None] == used[None, None, :]).astype(float)  # (leaves, slots, used)
        value_map = (onehot[..., None] * tree.values[:, None, None, :]).reshape(n_leaves * slots, -1)
        leaf_index = np.arange(n_leaves)[None, :]
        for s in range(0, len(X), chunk):
            codes = _patterns(tree, _directions(tree, X[s : s + chunk]))
            shares = table[leaf_index, codes] if table is not None else _realized_shares(tree, codes)
            out[s : s + chunk] = shares.reshape(len(shares), -1) @ value_map
        return out
    flat = _leaf_gains(tree, used)
    for s in range(0, len(X), chunk):
        out[s : s + chunk] = flat[_leaf_of(tree, _directions(tree, X[s : s + chunk]))]
    return out


def _leaf_gains(tree: _Tree, used: np.ndarray) -> np.ndarray:
    """(leaves, used inputs x outputs): path contributions of a row landing in each leaf."""
    n_leaves, outputs = tree.values.shape
    feature_at = np.searchsorted(used, tree.feature)  # each step's gain goes to its split feature
    leaf_gain = np.zeros((n_leaves, len(used), outputs))
    leaves, depth = np.nonzero(tree.path_nodes < len(tree.feature))
    np.add.at(leaf_gain, (leaves, feature_at[tree.path_nodes[leaves, depth]]), tree.path_gain[leaves, depth])
    return leaf_gain.reshape(n_leaves, -1)


def _forest_paths(estimator: Any, trees: Sequence[tuple[_Tree, int]], X: np.ndarray, n_outputs: int) -> np.ndarray:
    """Path contributions of a forest: scikit-learn finds each row's leaf in every tree; one sparse product
    (rows x every leaf of every tree) then sums the leaves' contributions."""
    from scipy import sparse

    n, p = X.shape
    landed = np.asarray(estimator.apply(X.astype(np.float32)), dtype=np.intp)  # (rows, trees) node ids
    tables, offset = [], 0
    for t, (tree, _) in enumerate(trees):
        used = np.unique(tree.slot_feature[tree.slot_feature >= 0])
        full = np.zeros((len(tree.leaf_nodes), p, n_outputs))
        if len(used):
            full[:, used, :] = _leaf_gains(tree, used).reshape(len(tree.leaf_nodes), len(used), n_outputs)
        where = np.zeros(int(tree.leaf_nodes.max()) + 1, dtype=np.intp)
        where[tree.leaf_nodes] = np.arange(len(tree.leaf_nodes)) + offset
        landed[:, t] = where[landed[:, t]]  # now the row's leaf among every tree's leaves
        tables.append(full.reshape(len(full), -1))
        offset += len(full)
    if not tables:
        return np.zeros((n, p, n_outputs))
    k = landed.shape[1]
    landing = sparse.csr_matrix((np.ones(n * k), landed.ravel(), np.arange(0, n * k + 1, k)), shape=(n, offset))
    return np.asarray(landing @ np.vstack(tables)).reshape(n, p, n_outputs)


def _uses_shap(trees: Sequence[tuple[_Tree, int]]) -> bool:
    """TreeSHAP's cost per row (leaves x path length, summed over the trees) is affordable; a forest of deep
    trees is explained by the path method instead."""
    return sum(t.path_nodes.size for t, _ in trees) <= MAX_PATH_CELLS and all(t.slot_z.shape[1] <= 62 for t, _ in trees)


def _ensemble(trees: Sequence[tuple[_Tree, int]], X: np.ndarray, n_outputs: int, shap: bool) -> np.ndarray:
    """(rows, inputs, outputs) summed over the trees. ``trees`` pairs a tree with its output (-1: a tree whose
    leaves hold every output, as a forest's classifier trees do)."""
    n, p = X.shape
    phi = np.zeros((n_outputs, n, p)) if trees and trees[0][1] >= 0 else np.zeros((1, n, p * n_outputs))
    bins = _global_bins(trees, X)
    for tree, out in trees:
        used = np.unique(tree.slot_feature[tree.slot_feature >= 0])
        if not len(used):
            continue
        first, inverse = _unique_rows(tree, X, bins)
        part = _tree_part(tree, X[first], used, shap)
        k = tree.values.shape[1]
        full = np.zeros((len(first), p, k))
        full[:, used, :] = part.reshape(len(first), len(used), k)
        target = phi[max(out, 0)]
        target += full.reshape(len(first), -1)[inverse]  # whole rows: much faster than scattering columns
    if trees and trees[0][1] >= 0:
        return np.moveaxis(phi, 0, -1)
    return phi[0].reshape(n, p, n_outputs)


def _trees_of(estimator: Any, n_classes: int) -> tuple[list[tuple[_Tree, int]], np.ndarray]:
    """(trees with their output, the constant added to their sum)."""
    if hasattr(estimator, "estimators_") and hasattr(estimator, "n_estimators"):  # a random forest
        scale = 1.0 / len(estimator.estimators_)
        trees = [(_sklearn_tree(t, scale, n_classes > 0), -1) for t in estimator.estimators_]
        return trees, np.zeros(trees[0][0].values.shape[1])
    mapper = estimator._bin_mapper  # histogram gradient boosting
    known, f_idx = mapper.make_known_categories_bitsets()
    trees = [
        (_boosting_tree(pred, known, f_idx), k)
        for iteration in estimator._predictors
        for k, pred in enumerate(iteration)
    ]
    return trees, np.asarray(estimator._baseline_prediction, dtype=float).ravel()


def is_tree_ensemble(estimator: Any) -> bool:
    return (hasattr(estimator, "estimators_") and hasattr(estimator, "n_estimators")) or hasattr(
        estimator, "_predictors"
    )


def tree_contributions(estimator: Any, X: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Contributions of a fitted forest or boosted ensemble on its input ``X``: (phi (rows, inputs, outputs),
    base (outputs,), method: "tree_shap" or "tree_path"). ``n_classes``: 0 for numbers.

    The outputs are a forest's chances (one per class, or its number) or a booster's raw score (one for a
    yes/no model or numbers, one per class otherwise), before any link to chances."""
    trees, const = _trees_of(estimator, n_classes)
    shap = _uses_shap(trees)
    order = np.arange(X.shape[1])
    pre = getattr(estimator, "_preprocessor", None)
    if pre is not None:  # boosting with categories puts them first, as codes of its own
        X = np.asarray(pre.transform(X), dtype=float)
        order = np.concatenate([np.flatnonzero(estimator.is_categorical_), np.flatnonzero(~estimator.is_categorical_)])
    n_out = len(const)
    base = const.copy()
    for tree, out in trees:
        base[slice(None) if out < 0 else slice(out, out + 1)] += tree.expected
    X = np.asarray(X, dtype=float)
    forest = hasattr(estimator, "estimators_")
    inner = _forest_paths(estimator, trees, X, n_out) if forest and not shap else _ensemble(trees, X, n_out, shap)
    phi = np.zeros_like(inner)
    phi[:, order, :] = inner
    return phi, base, "tree_shap" if shap else "tree_path"

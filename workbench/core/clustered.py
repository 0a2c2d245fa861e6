"""Cluster-robust comparisons of group scores: answers that share a branch or a respondent are not independent.

A comparison is a contrast ``d = Σ_k c_k · mean_k`` of cell means (a segment against the rest: c = (1, −1); a
difference in differences: c = (1, −1, −1, 1)). Each cell's mean is a ratio of sums, so its linearisation is
the residual sum per cluster; summed over the cells with their weights, cluster ``g`` contributes

    u_g = Σ_k c_k · (T_gk − N_gk · m_k) / N_k

and the cluster-robust variance is ``V = G/(G − 1) · Σ_g u_g²`` (CR1, Liang & Zeger 1986; Cameron & Miller 2015,
"A Practitioner's Guide to Cluster-Robust Inference", J. Human Resources 50(2)), tested against Student's t
on ``G − 1`` degrees of freedom (Cameron & Miller §VI; Imbens & Kolesár 2016), which keeps the size near its level
with a few dozen clusters. A cluster may span cells (a respondent who rated both touchpoints of a step), which is
where the covariance between the cells comes from. The design effect ``V / V_iid`` says how much the clustering
widens the interval against treating every answer as independent.

With few clusters, or a contrast that rests on a few of them (an action piloted in three branches), CR1 is too
small; ``method="CR2"`` uses the bias-reduced linearisation of Bell & McCaffrey (2002, "Bias reduction in standard
errors for linear regression with multi-stage samples", Survey Methodology 28(2)) — each cluster's residuals scaled
by ``(I − H_gg)^−½`` — with their degrees of freedom ``(Σλ)² / Σλ²`` (λ the eigenvalues of ``M = [a_g' (I − H)_gh a_h]``), the
combination Imbens & Kolesár (2016, "Robust standard errors in small samples: some practical advice", REStat 98(4))
and Pustejovsky & Tipton (2018, JBES 36(4)) show keeps the size near its level down to a handful of clusters. For
cell means the hat matrix is ``1/N_k`` within a cell, so both come in closed form from the same statistics: a
cluster's residual sum in cell k is scaled by ``(1 − N_gk/N_k)^−½``, and the degrees of freedom need only traces of
a G × G matrix that is diagonal minus rank K. A weighted cell whose answers all come from one cluster leaves that
cell's variance unmeasured: the CR2 comparison then keeps its difference but has no standard error (NaN) rather
than one that is too small.

Everything is computed from per (cell, cluster) sufficient statistics — n, Σx, Σx² of a per-answer score — that
the query engine produces and that add up, so no answers are re-read. ``moments`` turns the engine's columns into
that score: NPS counts as 100 · (promoter − detractor) per answer, CSAT and CES as the answer itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.codes import distinct, first_rows
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import numpy
    import pandas


@dataclass(frozen=True)
class ClusteredComparison:
    """A contrast of cell means with its independent-answers SE, its cluster-robust SE and t-test.

    ``se`` and everything after it are the cluster-robust ones when there are at least two clusters, else the
    independent ones (``clusters`` then says 0 or 1 and ``design_effect`` is NaN).
    """

    difference: float
    se: float
    se_iid: float
    design_effect: float
    clusters: int
    df: float
    t: float
    p_value: float
    low: float
    high: float
    confidence: float


def moments(stats: pandas.DataFrame, metric: str) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """n, Σx and Σx² of a metric's per-answer score from the query's statistic columns (NPS: 100 · (P − D))."""

    if metric == "nps":
        n = stats["nps_n"].to_numpy(dtype=float)
        promoters, detractors = stats["promoters"].to_numpy(dtype=float), stats["detractors"].to_numpy(dtype=float)
        return n, 100.0 * (promoters - detractors), 10_000.0 * (promoters + detractors)
    n, total, total_sq = (stats[f"{metric}_{part}"].to_numpy(dtype=float) for part in ("n", "sum", "sumsq"))
    return n, total, total_sq


def contrast(
    cell: Sequence[int] | numpy.ndarray,
    cluster: Sequence | numpy.ndarray,
    n: Sequence[float] | numpy.ndarray,
    total: Sequence[float] | numpy.ndarray,
    total_sq: Sequence[float] | numpy.ndarray,
    weights: Sequence[float],
    confidence: float = 0.95,
    method: str = "CR1",
) -> ClusteredComparison:
    """The contrast ``Σ_k weights[k] · mean_k`` of cells 0…K−1 with a cluster-robust (CR1 or CR2) t-test.

    Parameters
    ----------
    cell : for each row of moments, the index of its cell in ``weights``.
    cluster : for each row, its cluster's label (a branch, a respondent…); the answers of a row labelled None or
        NaN are each a cluster of their own (an answer without a branch is independent of the others).
    n, total, total_sq : the row's number of answers, Σx and Σx² of the per-answer score.
    weights : the contrast's weight per cell.
    confidence : the interval's level.
    method : "CR1" (t on G − 1 df) or "CR2" (Bell–McCaffrey variance and degrees of freedom).
    """
    import numpy as np
    import pandas as pd

    cell = np.asarray(cell, dtype=int)
    n, total, total_sq = (np.asarray(x, dtype=float) for x in (n, total, total_sq))
    c = np.asarray(weights, dtype=float)
    k = len(c)
    cell_n = np.bincount(cell, weights=n, minlength=k)
    cell_total = np.bincount(cell, weights=total, minlength=k)
    cell_sq = np.bincount(cell, weights=total_sq, minlength=k)
    if np.any(cell_n[c != 0] == 0):
        return _undefined(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(cell_n > 0, cell_total / cell_n, 0.0)
        variances = np.where(cell_n > 1, (cell_sq - cell_n * means**2) / (cell_n - 1), np.nan)
    difference = float(c @ means)
    used = c != 0
    variance_iid = float(np.sum(c[used] ** 2 * np.maximum(variances[used], 0.0) / cell_n[used]))
    se_iid = math.sqrt(variance_iid) if not math.isnan(variance_iid) else math.nan

    labels = pd.Series(np.asarray(cluster, dtype=object))
    alone = labels.isna().to_numpy() & (n > 0)
    codes = pd.factorize(labels)[0]
    scale = np.where(used[cell], c[cell] / np.where(cell_n > 0, cell_n, 1)[cell], 0.0)
    residual = total - n * means[cell]
    sums = np.zeros(codes.max(initial=-1) + 1)
    np.add.at(sums, codes[~alone & (codes >= 0)], (scale * residual)[~alone & (codes >= 0)])
    involved = np.unique(codes[~alone & used[cell] & (n > 0)])
    # Answers without a cluster label are each a cluster of their own: Σ_i (x_i − m)² per row, from its Σx and Σx².
    single = scale[alone] ** 2 * (
        total_sq[alone] - 2 * means[cell[alone]] * total[alone] + n[alone] * means[cell[alone]] ** 2
    )
    clusters = len(involved) + int(n[alone & used[cell]].sum())
    if method == "CR2":
        variance, df = _bell_mccaffrey(
            cell, codes, alone, n, residual, total_sq - 2 * means[cell] * total + n * means[cell] ** 2, c, cell_n
        )
        if math.isnan(variance):  # a weighted cell from one cluster: the point estimate stands, its error is unknown
            return _finish(difference, math.nan, se_iid, math.nan, clusters, math.nan, confidence)
        design_effect = variance / variance_iid if variance_iid > 0 else math.nan
        return _finish(difference, math.sqrt(variance), se_iid, design_effect, clusters, df, confidence)
    if method != "CR1":
        raise ValueError(_("Unknown method '{method}'; use CR1 or CR2.").format(method=method))
    if clusters < 2:
        return _finish(difference, se_iid, se_iid, math.nan, clusters, math.inf, confidence)
    variance = clusters / (clusters - 1) * (float(np.sum(sums[involved] ** 2)) + float(np.sum(single)))
    design_effect = variance / variance_iid if variance_iid > 0 else math.nan
    return _finish(difference, math.sqrt(variance), se_iid, design_effect, clusters, clusters - 1, confidence)


def _bell_mccaffrey(cell, codes, alone, n, residual, squares, c, cell_n) -> tuple[float, float]:
    """CR2 variance of the contrast and its Bell–McCaffrey degrees of freedom (NaN when a weighted cell has fewer
    than two clusters); ``squares`` is each row's Σ(x − m)², used for answers without a cluster."""
    import numpy as np

    k, used = len(c), c != 0
    keep = used[cell] & (n > 0)
    grouped, lone = keep & ~alone & (codes >= 0), keep & alone
    ids, index = distinct(codes[grouped])
    counts, sums = np.zeros((len(ids), k)), np.zeros((len(ids), k))
    np.add.at(counts, (index, cell[grouped]), n[grouped])
    np.add.at(sums, (index, cell[grouped]), residual[grouped])
    per_cell = (counts > 0).sum(axis=0) + np.bincount(cell[lone], weights=n[lone], minlength=k)
    if np.any(per_cell[used] < 2):
        return math.nan, math.nan
    size = np.where(used, cell_n, 1.0)
    # a_g: the contrast's weight on an answer of cell k in cluster g after the CR2 adjustment (I − H_gg)^−½.
    weight = np.where(used, c / size, 0.0) / np.sqrt(1.0 - counts / size)
    lone_factor = np.zeros(k)  # cells with weight hold two answers or more (two clusters), so 1 − 1/N_k > 0
    lone_factor[used] = c[used] / size[used] / np.sqrt(1.0 - 1.0 / size[used])
    lone_weight = lone_factor[cell[lone]]
    variance = float(np.sum(np.sum(weight * sums, axis=1) ** 2)) + float(np.sum(lone_weight**2 * squares[lone]))
    # Degrees of freedom from M = G'G = D − V·diag(1/N)·V' (one row per cluster; a lone answer is a cluster of one,
    # its row repeated n times), by traces so that thousands of respondents never make a dense G × G matrix.
    lone_v = np.zeros((int(lone.sum()), k))
    lone_v[np.arange(len(lone_v)), cell[lone]] = lone_weight
    v = np.vstack([counts * weight, lone_v])
    repeat = np.concatenate([np.ones(len(ids)), n[lone]])
    diagonal = np.concatenate([np.sum(counts * weight**2, axis=1), lone_weight**2])
    cross = (v * repeat[:, None]).T @ v
    trace = repeat @ diagonal - np.sum(np.diag(cross) / size)
    trace_sq = (
        repeat @ diagonal**2 - 2 * np.sum(((repeat * diagonal) @ v**2) / size) + np.sum(cross**2 / np.outer(size, size))
    )
    return variance, float(trace**2 / trace_sq) if trace_sq > 0 else math.nan


def _finish(difference, se, se_iid, design_effect, clusters, df, confidence) -> ClusteredComparison:
    from scipy.stats import t as student

    if not se > 0:
        return ClusteredComparison(
            difference, se, se_iid, design_effect, clusters, df, math.nan, math.nan, math.nan, math.nan, confidence
        )
    statistic = difference / se
    critical = float(student.ppf(0.5 + confidence / 2, df))
    p_value = float(2 * student.sf(abs(statistic), df))
    return ClusteredComparison(
        difference, se, se_iid, design_effect, clusters, float(df), statistic, p_value,
        difference - critical * se, difference + critical * se, confidence,
    )  # fmt: skip


def _undefined(confidence: float) -> ClusteredComparison:
    nan = math.nan
    return ClusteredComparison(nan, nan, nan, nan, 0, nan, nan, nan, nan, nan, confidence)


def against_rest(
    family: Sequence | numpy.ndarray,
    member: Sequence | numpy.ndarray,
    cluster: Sequence | numpy.ndarray,
    n: Sequence[float] | numpy.ndarray,
    total: Sequence[float] | numpy.ndarray,
    total_sq: Sequence[float] | numpy.ndarray,
    confidence: float = 0.95,
) -> pandas.DataFrame:
    """Every member's mean minus the rest of its family's, each with the CR2 t-test of ``contrast(method="CR2")``.

    The same comparison as calling :func:`contrast` with weights (1, −1) once per member (a region against the
    rest of the network at one touchpoint), for all members at once, when the clusters are nested in the members
    (a branch-month belongs to one region): each side's variance is then a sum over its own clusters, so a
    member's side comes from its rows and the rest's from the family's clusters outside it. Rows whose member is
    None or NaN belong to the rest only; rows whose cluster is None or NaN are answers independent of each other.
    Raises ValueError when a cluster spans two members of a family (use :func:`contrast` there).

    Returns one row per (family, member): the member's and the rest's mean and answers (``mean``, ``rest_mean``,
    ``n``, ``rest_n``) and the fields of :class:`ClusteredComparison`.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import t as student

    n, total, total_sq = (np.asarray(x, dtype=float) for x in (n, total, total_sq))
    keep = n > 0
    n, total, total_sq = n[keep], total[keep], total_sq[keep]
    # Integer codes throughout (a pandas grouping of text keys, or a pass per family, cost more than the sums).
    family_code, families = pd.factorize(_series(family)[keep], sort=True)
    member_code, members = pd.factorize(_series(member)[keep])  # None and NaN: −1, the rest only
    label_code = pd.factorize(_series(cluster)[keep])[0].astype(np.int64)
    lone = label_code < 0
    # One code per (family, cluster): a cluster is counted within its family.
    cluster_code = np.where(lone, -1, family_code * (label_code.max(initial=0) + 1) + label_code)
    columns = ["family", "member", "mean", "rest_mean", "n", "rest_n", *ClusteredComparison.__dataclass_fields__]
    if not (member_code >= 0).any():
        return pd.DataFrame(columns=columns)
    found = _pairs_against_rest(family_code, member_code, cluster_code, n, total, total_sq)
    found["family"] = np.asarray(families, dtype=object)[found.pop("family_code")]
    found["member"] = np.asarray(members, dtype=object)[found.pop("member_code")]
    difference, se, df = found["difference"], found["se"], found["df"]
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = difference / se
        critical = student.ppf(0.5 + confidence / 2, df)
        found.update(
            t=statistic,
            p_value=2 * student.sf(np.abs(statistic), df),
            low=difference - critical * se,
            high=difference + critical * se,
            confidence=np.full(len(difference), confidence),
        )
    return pd.DataFrame(found, columns=columns)


def _series(values) -> pandas.Series:
    """``values`` as a Series numbered from 0 (a Series keeps its dtype: Arrow text is coded without Python objects)."""
    import numpy as np
    import pandas as pd

    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    values = np.asarray(values)
    return pd.Series(values if values.dtype.kind in "fiub" else values.astype(object))


def _pairs_against_rest(family, member, cluster, n_all, t_all, q_all) -> dict[str, numpy.ndarray]:
    """:func:`against_rest` for every (family, member) pair at once, up to the t distribution: the member's side
    per pair, the rest side from its family's totals; ``cluster`` −1 marks a lone row. Columns of arrays, one row
    per pair: families in order, a family's members in order of appearance.

    A cluster's CR2 weight depends on its side's size and its own answers only, so each side's clusters are summed
    per distinct cluster size first: per pair, over the sizes of its family's clusters (a ragged pairs × sizes
    grid) instead of over its clusters (18 000 branch-months)."""
    import numpy as np

    inside = member >= 0
    width = int(member.max()) + 1
    pair_keys, pair_of = distinct(family[inside] * width + member[inside])
    rows = np.flatnonzero(inside)
    first = first_rows(pair_of, len(pair_keys))
    ranked = np.lexsort((rows[first], pair_keys // width))  # families in order, members as they first appear
    rank = np.empty(len(pair_keys), dtype=np.int64)
    rank[ranked] = np.arange(len(pair_keys))
    pair = np.full(len(member), -1)
    pair[inside] = rank[pair_of]
    pairs = len(pair_keys)
    pair_family = (pair_keys // width)[ranked]
    n_families = int(family.max()) + 1
    lone = cluster < 0

    def by_pair(values, mask):
        chosen = mask & inside
        return np.bincount(pair[chosen], weights=values[chosen], minlength=pairs)

    def by_family(values, mask):
        return np.bincount(family[mask], weights=values[mask], minlength=n_families)[pair_family]

    every = np.ones(len(n_all), bool)
    n_s, t_s, q_s = (by_pair(x, every) for x in (n_all, t_all, q_all))
    l_s, lt_s, lq_s = (by_pair(x, lone) for x in (n_all, t_all, q_all))
    n_r, t_r, q_r = (by_family(x, every) - own for x, own in ((n_all, n_s), (t_all, t_s), (q_all, q_s)))
    l_r, lt_r, lq_r = (by_family(x, lone) - own for x, own in ((n_all, l_s), (t_all, lt_s), (q_all, lq_s)))
    # The clusters: their answers and sums, their family and their pair (−1: a cluster of the rest only).
    ids, index = distinct(cluster[~lone])
    g_n = np.bincount(index, weights=n_all[~lone], minlength=len(ids))
    g_t = np.bincount(index, weights=t_all[~lone], minlength=len(ids))
    g_family = np.zeros(len(ids), dtype=np.int64)
    g_family[index] = family[~lone]
    g_pair = np.full(len(ids), -1)
    g_pair[index] = pair[~lone]
    if (g_pair[index] != pair[~lone]).any():  # a cluster's rows are not all of its pair
        raise ValueError(_("A cluster spans two members of a family; compare them one by one with contrast()."))
    # Each cluster's (family, size) cell; the ragged grid lists, for each pair, the cells of its family.
    sizes, size_code = distinct(g_n)
    cells, g_cell = distinct(g_family * len(sizes) + size_code)
    start = np.searchsorted(cells // len(sizes), np.arange(n_families + 1))
    length = (start[1:] - start[:-1])[pair_family]
    offset = np.concatenate([[0], np.cumsum(length)])
    grid_pair = np.repeat(np.arange(pairs), length)
    grid_cell = start[pair_family][grid_pair] + np.arange(offset[-1]) - offset[grid_pair]
    n_k = sizes[cells % len(sizes)][grid_cell]
    mine = g_pair >= 0
    mine_at = offset[g_pair[mine]] + g_cell[mine] - start[g_family[mine]]
    ones = np.ones(len(ids))

    def own(values) -> np.ndarray:
        """A pair's own clusters' sums per size of its family's clusters (0 where it has none of that size)."""
        return np.bincount(mine_at, weights=values[mine], minlength=offset[-1])

    def of_family(values) -> np.ndarray:
        return np.bincount(g_cell, weights=values, minlength=len(cells))[grid_cell]

    own_sums = tuple(own(x) for x in (ones, g_t, g_t**2))
    rest_sums = tuple(of_family(x) - mine_sum for x, mine_sum in zip((ones, g_t, g_t**2), own_sums, strict=True))

    def over_sizes(values) -> np.ndarray:
        return np.bincount(grid_pair, weights=values, minlength=pairs)

    def side(sums, big_n, mean, lone_n, lone_t, lone_q):
        """One side's CR2 variance and the traces of its Bell–McCaffrey degrees of freedom, from ``sums``: per
        pair and size of its family's clusters, the side's clusters' count, Σt and Σt² (the ragged grid)."""
        count_k, t_k, tt_k = sums
        at_n, at_mean = big_n[grid_pair], mean[grid_pair]
        w2 = 1.0 / (at_n**2 * (1.0 - n_k / at_n))
        w2 = np.where(count_k > 0, np.nan_to_num(w2, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
        # Σ w2 (t − n·mean)² over the side's clusters, grouped by their size n.
        squares = tt_k - 2 * at_mean * n_k * t_k + (at_mean * n_k) ** 2 * count_k
        lam2 = 1.0 / (big_n**2 * (1.0 - 1.0 / big_n))  # a lone answer: a cluster of one
        lone_squares = lone_q - 2 * mean * lone_t + lone_n * mean**2
        variance = over_sizes(w2 * squares) + lam2 * lone_squares
        trace = over_sizes(count_k * n_k * w2) + lone_n * lam2
        cross = over_sizes(count_k * n_k**2 * w2) + lone_n * lam2
        square = over_sizes(count_k * n_k**2 * w2**2) + lone_n * lam2**2
        cube = over_sizes(count_k * n_k**3 * w2**2) + lone_n * lam2**2
        count = over_sizes(count_k) + lone_n
        return variance, trace - cross / big_n, square - 2 * cube / big_n + cross**2 / big_n**2, count

    with np.errstate(divide="ignore", invalid="ignore"):
        m_s, m_r = t_s / n_s, t_r / n_r
        var_s = (q_s - n_s * m_s**2) / (n_s - 1)
        var_r = (q_r - n_r * m_r**2) / (n_r - 1)
        variance_iid = np.maximum(var_s, 0) / n_s + np.maximum(var_r, 0) / n_r
        v_s, tr_s, sq_s, count_s = side(own_sums, n_s, m_s, l_s, lt_s, lq_s)
        v_r, tr_r, sq_r, count_r = side(rest_sums, n_r, m_r, l_r, lt_r, lq_r)
        variance = v_s + v_r
        df = (tr_s + tr_r) ** 2 / (sq_s + sq_r)
        undefined = (count_s < 2) | (count_r < 2)
        se = np.where(undefined, np.nan, np.sqrt(variance))
        difference = m_s - m_r
        return {
            "family_code": pair_family,
            "member_code": (pair_keys % width)[ranked],
            "mean": m_s,
            "rest_mean": m_r,
            "n": n_s,
            "rest_n": n_r,
            "difference": difference,
            "se": se,
            "se_iid": np.sqrt(variance_iid),
            "design_effect": np.where(variance_iid > 0, se**2 / variance_iid, np.nan),
            "clusters": (count_s + count_r).astype(int),
            "df": np.where(undefined, np.nan, df),
        }

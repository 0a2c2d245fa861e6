"""Benchmark: ROI evidence and scenarios on the demo data — the panel link against the explicit dummy regression,
the score model, the Monte Carlo, the tornado and the ROI page's callbacks.

The reference for the panel link, run in the same process, is the textbook way: one least-squares fit on the full
design (score + a dummy per branch and per month) with the CR1 sandwich built from its inverse; the script aborts
if the two slopes or standard errors differ by more than 1e-9 (relative).
Run: `.venv/bin/python bench/roi.py [--runs K]`; the last line is `slowest_repeated_callback_ms: X`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from timing import demo_app, median_seconds, parse_runs, time_cases  # noqa: E402


def dummy_regression(panel, kpi: str) -> tuple[float, float]:
    """Slope and CR1 SE from the explicit dummy design (segment dummies nested in clusters, not counted in k)."""
    import numpy as np
    import pandas as pd

    x = np.column_stack([panel["nps"].to_numpy(float), pd.get_dummies(panel["branch"]).to_numpy(float),
                         pd.get_dummies(panel["period"], drop_first=True).to_numpy(float)])
    y = np.log(panel[kpi].to_numpy(float))
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    u = y - x @ beta
    clusters = pd.factorize(panel["branch"])[0]
    g = clusters.max() + 1
    scores = np.zeros((g, x.shape[1]))
    np.add.at(scores, clusters, x * u[:, None])
    n, k = len(y), x.shape[1] - g
    covariance = g / (g - 1) * (n - 1) / (n - k) * bread @ scores.T @ scores @ bread
    return float(beta[0]), float(np.sqrt(covariance[0, 0]))


def main() -> None:
    runs = parse_runs(__doc__.splitlines()[0])

    import pandas as pd

    from workbench.analysis import drivers, roi
    from workbench.data import query
    from workbench.features import roi as scenarios

    workspace, project, app = demo_app()
    from cxweb.pages import roi as page

    journey = workspace.journeys(project)[0].id
    survey = workspace.datasets.list(project, "survey")[0]
    kpis = workspace.datasets.list(project, "kpi_period")[0]
    saved = workspace.scenarios.list(project)
    answers = query.answers(query.Query(sources=(str(survey.path),), by=()), ["respondent_id", "touchpoint", "branch"])
    table = pd.read_parquet(kpis.path)
    panel = roi.join_panel(roi.branch_month_scores(answers, "nps"), table[["branch", "period", "revenue"]])
    kept = drivers.model_rows(answers, "nps", "csat").kept
    link = roi.panel_link(panel, "revenue", log_kpi=True)
    reference = dummy_regression(panel, "revenue")
    if abs(link.coefficient - reference[0]) > 1e-9 * abs(reference[0]) or abs(link.se - reference[1]) > 1e-9 * reference[1]:
        raise SystemExit(f"panel_link {link.coefficient, link.se} differs from the dummy regression {reference}")
    model = roi.score_model(answers, kept, "csat")
    assumptions = saved[0].scenario.assumptions
    assumptions = roi.Assumptions(**{**assumptions.to_dict(), "base": 1.5e8})
    print(f"demo: {survey.rows:,} answers, {len(panel):,} branch-months, {model.n:,} respondents in the score model; "
          f"runs per case: {runs}")
    ours = median_seconds(lambda: roi.panel_link(panel, "revenue", log_kpi=True), runs)
    textbook = median_seconds(lambda: dummy_regression(panel, "revenue"), runs)
    print(f"{'panel link (FWL, CR1)':48s} median {ours * 1000:6.1f} ms   dummy regression {textbook * 1000:6.1f} ms   "
          f"ratio {ours / textbook:.2f}")
    time_cases([
        ("score model (7 touchpoints)", lambda: roi.score_model(answers, kept, "csat")),
        ("evaluate: 10 000 draws", lambda: roi.evaluate(assumptions, link, model)),
        ("tornado", lambda: roi.tornado(assumptions, link, model)),
        ("evidence, uncached (read, link, drivers rows, model)",
         lambda: scenarios.estimate(survey, kpis, saved[0].scenario)),
    ], runs)

    found = scenarios.evidence(workspace, project, saved[0].scenario).to_dict()
    changes = dict(saved[0].scenario.assumptions.changes)
    ids = [{"type": "roi-change", "tp": key} for key in changes]
    form = (found, list(changes.values()), 0, None, "0.3", "2500000", 24, 8, "CZK", ids, "x", journey,
            saved[0].scenario.kpi_dataset, "revenue", "branch", "log", 0, "csat")
    ids_text = [s.id for s in saved]
    with app.server.app_context():
        workspace.cache.clear()
        medians = time_cases([
            # gather() reads the callback context, so its work is called directly: evidence and the table.
            ("callback: evidence + changes table",
             lambda: page._changes_table(scenarios.evidence(workspace, project, saved[0].scenario), {}, {}, "csat")),
            ("callback: scenario result and charts", lambda: page.show(*form)),
            ("callback: compare two saved scenarios", lambda: page.compare(ids_text, 0, project)),
        ], runs)
    print(f"slowest_repeated_callback_ms: {max(medians.values()) * 1000:.0f}")


if __name__ == "__main__":
    main()

"""Benchmark: what Czech and Polish cost — the formatter with Babel's locale data, gettext through the current
language, and the demo's full deck built in each language.

References in the same process: Python's own f-string formatting for numbers and dates, a plain dict lookup for a
message, and the English deck from the same gathered findings (English is the catalogue-less source language).
Run: `.venv/bin/python bench/languages.py [--runs K]`; the last line is `deck_cs_over_en: X`.
"""

from __future__ import annotations

import datetime
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from timing import median_seconds, parse_runs  # noqa: E402

CALLS = 20_000


def per_call_us(action, runs: int) -> float:
    """Median microseconds per call of ``action`` over batches of CALLS calls."""
    return median_seconds(lambda: [action() for _ in range(CALLS)], runs) / CALLS * 1e6


def main() -> None:
    runs = parse_runs(__doc__.splitlines()[0], default=5)
    from workbench.core import formatting, i18n
    from workbench.export import deck
    from workbench.features import export as findings
    from workbench.features.demo import seed_demo
    from workbench.features.workspace import open_workspace

    day = datetime.date(2026, 8, 1)
    messages = {"Where it breaks": "Where it breaks"}
    print(f"{'per call (µs)':32s} {'en':>8s} {'cs':>8s} {'pl':>8s}   reference")
    cases = [
        ("number(1542628.4, 2)", lambda: formatting.number(1542628.4, 2), lambda: f"{1542628.4:,.2f}"),
        ("value(4.213, 'csat')", lambda: formatting.value(4.213, "csat"), lambda: f"{4.213:.2f}"),
        ("money(45600, 'CZK')", lambda: formatting.money(45_600, "CZK"), lambda: f"{45.6:.1f} k"),
        ("date(2026-08-01)", lambda: formatting.date(day), lambda: day.isoformat()),
        ("month(2026-08-01)", lambda: formatting.month(day), lambda: f"{day:%B %Y}"),
        ("gettext('Where it breaks')", lambda: i18n.gettext("Where it breaks"), lambda: messages["Where it breaks"]),
    ]
    for name, ours, reference in cases:
        shown = []
        for code in ("en", "cs", "pl"):
            with i18n.language(code):
                shown.append(per_call_us(ours, runs))
        print(f"{name:32s} {shown[0]:8.2f} {shown[1]:8.2f} {shown[2]:8.2f}   {per_call_us(reference, runs):6.2f}")

    folder = Path(tempfile.mkdtemp(prefix="cxwb-bench-lang-"))
    workspace = open_workspace(folder)
    project = seed_demo(workspace)
    journey = workspace.journeys(project)[0].id
    built = {}
    for code in ("en", "cs", "pl"):
        request = findings.Request(project_id=project, journey_id=journey, language=code)
        found = findings.gather(workspace, request)  # analyses cached after the first language
        built[code] = median_seconds(lambda found=found: deck.build(found), runs)  # in the request's language
        print(f"full deck, slides built in {code}        {built[code]:6.2f} s")
    print(f"deck_cs_over_en: {built['cs'] / built['en']:.2f}")
    print(f"deck_pl_over_en: {built['pl'] / built['en']:.2f}")


if __name__ == "__main__":
    main()

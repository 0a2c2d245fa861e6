"""A workspace whose every name is a spreadsheet formula or an HTML tag, with data enough for every slide and chart.

Shared by the inert-export tests and the browser test of the same workspace. The same workspace with
:data:`CONTROLS` as its names holds characters XML cannot (control characters, U+FFFE).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

PAYLOADS = ('=HYPERLINK("//x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)",
            '<a href="https://evil.example/login">Review</a>', "<b>x</b>", "<img src=x onerror=alert(1)>")
TAGS = tuple(p for p in PAYLOADS if p.startswith("<"))
LINK = PAYLOADS[5]
# A segment column whose name is hostile too; its '/' is not allowed in a sheet name.
COLUMN = "=<b>area</b>/x"
ANSWERS = 30_000
# Characters XML 1.0 cannot hold, as a typed name, a pasted line break (PowerPoint's vertical tab) or a segment
# value of a badly exported file would bring them; one of them before a formula.
CONTROLS = ("Check\x01out", "line\x0bbreak", "\x0b=1+1", "unit\x1fsep", "nul\x00byte", "esc\x1b[31mred",
            "form\x0cfeed", "not\ufffechar")
CONTROL_COLUMN = "area\x01/x"


def hostile(i: int, payloads: tuple[str, ...] = PAYLOADS) -> str:
    """The i-th hostile name: the payloads in turn, numbered after the first round so that names stay unique."""
    text = payloads[i % len(payloads)]
    return text if i < len(payloads) else f"{text} {i // len(payloads) + 1}"


@dataclass(frozen=True)
class Hostile:
    """The built workspace's ids: project, journey and survey dataset."""

    project_id: int
    journey_id: int
    dataset_id: int


def build(folder: Path, payloads: tuple[str, ...] = PAYLOADS,
          segment_column: str = COLUMN) -> Hostile:
    """Fill a new workspace at ``folder``: journey, owners, segment values, comments, codebook themes, actions,
    scenarios, project and dataset all named with ``payloads``, and a segment column ``segment_column`` (a copy of the
    region); the survey is the demo generator's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from workbench.analysis.roi import Assumptions
    from workbench.core.journey import Lanes, Persona, Support
    from workbench.data import demodata
    from workbench.data.templates import load_template
    from workbench.features import alerts
    from workbench.features.demo import DEMO_TEMPLATE
    from workbench.features.workspace import open_workspace
    from workbench.repos.actions import Draft
    from workbench.repos.scenarios import Scenario
    from workbench.repos.text import Codebook, default_codebook

    template = load_template(DEMO_TEMPLATE)
    data = demodata.generate(template, answers=ANSWERS)  # the data follow the keys: the names are free
    # The core touchpoints (the driver charts' and the scenarios') come first and get the tags and three formulas.
    names = (hostile(i, payloads) for i in itertools.count(4))
    core = sorted(template.touchpoints, key=lambda tp: tp.key not in data.effects.core_touchpoints)
    touchpoints = {tp.key: next(names) for tp in core}
    owners = {o.name: next(names) for o in template.owners}
    journey = replace(
        template, name=next(names), description=next(names),
        stages=tuple(replace(s, name=next(names)) for s in template.stages),
        owners=tuple(replace(o, name=owners[o.name]) for o in template.owners),
        touchpoints=tuple(replace(tp, name=touchpoints[tp.key], owner=owners.get(tp.owner))
                          for tp in template.touchpoints))
    journey = replace(journey, touchpoints=tuple(replace(tp, notes=next(names)) for tp in journey.touchpoints))
    regions = dict(zip(sorted(set(data.kpi_period["region"].to_pylist())), payloads))
    # Personas whose names are payloads, one with a rule on the hostile column; a free lane and lanes named alike
    # (named from a sequence of their own: the names after them stay what the tests of the other exports expect).
    more = (hostile(i, payloads) for i in itertools.count(1000))
    lane = next(more)
    journey = replace(
        journey,
        personas=tuple(Persona(f"p{i}", next(more), next(more), {segment_column: payloads[i]} if i == 0 else {})
                       for i in range(2)),
        lanes=(*journey.lanes, lane),
        touchpoints=tuple(replace(tp, lanes=Lanes(does=next(more), pains=(next(more), next(more)),
                                                  opportunities=(next(more),),
                                                  backstage=(Support(next(more), next(more)),),
                                                  custom={lane: next(more)}))
                          if i < 4 else tp for i, tp in enumerate(journey.touchpoints)))
    branches = {b: next(names) for b in sorted(set(data.kpi_period["branch"].to_pylist()))}

    def renamed(table: pa.Table) -> pa.Table:
        for column, mapping in (("region", regions), ("branch", branches)):
            values = pa.array([mapping[v] for v in table[column].to_pylist()], pa.string())
            table = table.set_column(table.schema.get_field_index(column), column, values)
        return table

    survey = renamed(data.survey)
    comments = [c if c is None or i % 3 else hostile(i, payloads)
                for i, c in enumerate(survey["comment"].to_pylist())]
    survey = survey.set_column(survey.schema.get_field_index("comment"), "comment", pa.array(comments, pa.string()))
    survey = survey.append_column(segment_column, survey["region"])
    assert pc.count(survey["comment"]).as_py() > 0

    with open_workspace(folder) as workspace:
        project_id = workspace.create_project(next(names), next(names))
        journey_id = workspace.create_journey(project_id, journey)
        dataset = workspace.datasets.add_table(project_id, survey, next(names), "survey", journey_id=journey_id)
        kpis = next(names)
        workspace.datasets.add_table(project_id, renamed(data.kpi_period), kpis, "kpi_period")
        who = next(names)
        for status, keys in (("in_progress", ("own-courier",)), ("planned", ("checkout", "delivery-notification")),
                             ("backlog", ("refund",))):
            draft = Draft(title=next(names), description=next(names), touchpoints=keys, owner=next(names),
                          cost=50_000, expected_change=0.3)
            workspace.actions.create(project_id, draft, who, journey_id=journey_id, status=status)
        for changes, kpi in (({"checkout": 0.3, "delivery-notification": 0.3}, "revenue"),
                             ({"own-courier": 0.2}, "churn_rate")):
            workspace.scenarios.save(project_id, Scenario(
                name=next(names), journey_id=journey_id, kpi_dataset=kpis, kpi=kpi, log_kpi=kpi == "revenue",
                assumptions=Assumptions(changes=changes, value_per_unit=0.3, cost=2_500_000, months=24,
                                        discount=0.08), note=next(names)), who)
        themes = tuple(replace(t, name=next(names)) for t in default_codebook().themes)
        workspace.verbatims.save_codebook(project_id, Codebook(themes), who, expected_version=0)
        alerts.check(workspace, journey_id, who=who)
        return Hostile(project_id, journey_id, dataset.id)

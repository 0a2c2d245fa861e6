"""What an ROI what-if is: the KPI it is about, how the KPI is linked to the NPS, and every assumption of the chain
from a touchpoint rating change to money. Plain values: the scenarios repository stores them, the ROI analysis
evaluates them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

from workbench.core import formatting, metrics

DRIVER_METRICS = metrics.RATINGS  # the touchpoint ratings a scenario's changes can be in


@dataclass(frozen=True)
class Assumptions:
    """Every input of a scenario, all editable.

    Parameters
    ----------
    changes : touchpoint → expected change of its rating (in the score model's metric, e.g. +0.3 CSAT).
    overall_change : the overall NPS change itself, used when ``changes`` is empty.
    base : with a log link, the KPI's total per month today (the change is base·(exp(b·ΔNPS) − 1)); with a
        linear link, how many segment rows one month has (each moves by b·ΔNPS).
    value_per_unit : profit per KPI unit: the margin share for revenue, or minus a customer's lifetime value × the
        customers in a segment / 100 for a churn rate in % per segment.
    cost : the investment, paid today.
    months : the horizon of gains; gains start after the link's lag (in months).
    discount : the yearly discount rate.
    """

    changes: Mapping[str, float] = field(default_factory=dict)
    overall_change: float = 0.0
    base: float = 0.0
    value_per_unit: float = 1.0
    cost: float = 0.0
    months: int = 12
    discount: float = 0.08

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return {**asdict(self), "changes": dict(self.changes)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Assumptions:
        """Assumptions stored by :meth:`to_dict` (unknown fields ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def currency_code(typed: str | None) -> str:
    """The ISO code a typed or stored currency gives: three letters in capitals ('czk' is CZK); blank or anything
    else is the reader's default currency (CZK in Czech, PLN in Polish, EUR in English)."""
    code = (typed or "").strip().upper()
    return code if len(code) == 3 and code.isascii() and code.isalpha() else formatting.default_currency()


@dataclass(frozen=True)
class Scenario:
    """A named what-if: the KPI and its link to the NPS, and every assumption of the chain to money.

    Parameters
    ----------
    kpi_dataset : the name of a KPI-per-period dataset of the project (its latest version is used).
    kpi : the KPI column; ``log_kpi`` links log(KPI) (a % change per NPS point), else the KPI itself.
    segment : the column that identifies a KPI row's segment in both the KPI table and the survey (e.g. branch).
    lag : months between a score change and the KPI's response.
    driver_metric : the touchpoint rating the changes are in (csat, nps or ces).
    base_from_data : the assumptions' ``base`` is taken from the KPI data when the scenario runs (see
        :class:`workbench.analysis.roi.Evidence`), not the stored number.
    action_id : the action card the scenario was taken from, if any.
    currency : the ISO code of the currency its amounts (value per unit, cost, NPV) are in; a scenario stored
        before scenarios had one, or made without one, takes the reader's :func:`formatting.default_currency`
        (CZK in Czech, PLN in Polish, EUR in English).
    """

    name: str
    journey_id: int
    kpi_dataset: str
    kpi: str
    assumptions: Assumptions = field(default_factory=Assumptions)
    log_kpi: bool = True
    lag: int = 0
    segment: str = "branch"
    driver_metric: str = "csat"
    base_from_data: bool = True
    action_id: int | None = None
    note: str = ""
    currency: str = field(default_factory=formatting.default_currency)

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", currency_code(self.currency))

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return {**asdict(self), "assumptions": self.assumptions.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping) -> Scenario:
        """The scenario stored by :meth:`to_dict` (fields a later version may add are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(
            **{
                **{k: v for k, v in data.items() if k in known},
                "assumptions": Assumptions.from_dict(data.get("assumptions") or {}),
            }
        )

"""External benchmarks: reading a touchpoint; metric; value file against a journey, and storing it per journey."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from workbench.analysis import benchmarks
from workbench.core.errors import IngestError


def write(tmp_path, text: str, encoding: str = "cp1250"):
    path = tmp_path / "benchmark.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_names_keys_accents_and_decimal_commas(tmp_path, small_journey):
    path = write(tmp_path, "Touchpoint;Metric;Value\nweb;CSAT;4,2\nCART;nps;-12\nDelivery;index;71,5\n")
    found = benchmarks.read(path, small_journey)
    assert list(found.itertuples(index=False, name=None)) == [
        ("web", "csat", 4.2), ("cart", "nps", -12.0), ("delivery", "index", 71.5)]


@pytest.mark.parametrize(("text", "message"), [
    ("touchpoint;metric\nweb;csat\n", "missing: value"),
    ("touchpoint;metric;value\nweb;csat;4\nnowhere;csat;4\n", "Row 3, column touchpoint: 'nowhere'"),
    ("touchpoint;metric;value\nweb;effort;4\n", "Row 2, column metric: 'effort'"),
    ("touchpoint;metric;value\nweb;csat;four\n", "Row 2, column value: 'four' is not a number"),
    ("touchpoint;metric;value\nweb;ces;7,5\n", "Row 2, column value: 7,5 is outside the CES scale 1…7"),
    ("touchpoint;metric;value\nweb;csat;4\ncart;csat;4\nweb;csat;3\n", "Row 4: CSAT of 'web' is given twice (also row 2)"),
    ("touchpoint;metric;value\n", "no rows"),
])
def test_a_bad_file_names_the_row_and_column(tmp_path, small_journey, text, message):
    with pytest.raises(IngestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        benchmarks.read(write(tmp_path, text), small_journey)


def test_stored_per_journey_replaced_whole_and_removed(workspace, small_journey):
    project = workspace.create_project("Client")
    first = workspace.create_journey(project, small_journey)
    workspace.replace_benchmarks(first, [("web", "csat", 4.1), ("cart", "csat", 3.9)], "sector.csv")
    workspace.replace_benchmarks(first, [("web", "nps", 30.0)], "other.csv")
    stored = workspace.benchmarks(first)
    assert list(stored.itertuples(index=False, name=None)) == [("web", "nps", 30.0, "other.csv")]
    with pytest.raises(IntegrityError):  # a duplicate rolls the whole replacement back
        workspace.replace_benchmarks(first, [("web", "csat", 4.0), ("web", "csat", 4.1)], "dup.csv")
    assert len(workspace.benchmarks(first)) == 1
    workspace.replace_benchmarks(first, [], "")
    assert workspace.benchmarks(first).empty
    workspace.replace_benchmarks(first, [("web", "csat", 4.1)], "sector.csv")
    workspace.delete_journey(first)
    assert workspace.benchmarks(first).empty

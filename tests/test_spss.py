"""SPSS reading on pyreadstat's own test files (tests/data/README.md): values, dates, labels, user-missing codes,
previews, and refusals of files over the limits or not SPSS at all."""

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyreadstat
import pytest

from workbench.core import limits
from workbench.core.errors import IngestError
from workbench.core.limits import LimitError
from workbench.data import spss

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "pyreadstat_sample.sav"
DESCRIPTIONS = {"mychar": "character", "mynum": "numeric", "mydate": "date", "dtime": "datetime",
                "mylabl": "labeled", "myord": "ordinal", "mytime": "time"}


@pytest.fixture
def reads(monkeypatch):
    """The keyword arguments of each call of pyreadstat.read_sav."""
    calls = []
    real = pyreadstat.read_sav

    def spy(path, **kwargs):
        calls.append(kwargs)
        return real(path, **kwargs)

    monkeypatch.setattr(pyreadstat, "read_sav", spy)
    return calls


@pytest.mark.parametrize("name", ["pyreadstat_sample.sav", "pyreadstat_sample.zsav"])
def test_sav_and_zsav_are_read_with_their_labels(name):
    read = spss.read_sav(DATA / name)
    table = read.table
    assert (table.num_rows, table.column_names) == (5, list(DESCRIPTIONS))
    assert table.schema.types == [pa.string(), pa.float64(), pa.timestamp("ms"), pa.timestamp("ms"), pa.float64(),
                                  pa.float64(), pa.float64()]
    assert table["mychar"].to_pylist() == ["a", "b", "c", "d", "e"]
    assert table["mynum"].to_pylist() == [1.1, 1.2, -1000.3, -1.4, 1000.3]
    assert table["mydate"].to_pylist() == [datetime(2018, 5, 6), datetime(1880, 5, 6), datetime(1960, 1, 1),
                                           datetime(1583, 1, 1), None]
    assert table["dtime"][0].as_py() == datetime(2018, 5, 6, 10, 10, 10)
    assert table["mytime"].to_pylist()[:2] == [36610.0, 83410.0]  # a duration in seconds: 10:10:10, 23:10:10
    assert table["mylabl"].to_pylist() == [1.0, 2.0, 1.0, 2.0, 1.0]  # codes, not their labels
    assert read.descriptions == DESCRIPTIONS
    assert read.value_labels == {"mylabl": {1.0: "Male", 2.0: "Female"},
                                 "myord": {1.0: "low", 2.0: "medium", 3.0: "high"}}
    assert read.missing == {}


def test_user_missing_values_are_null_and_listed():
    read = spss.read_sav(DATA / "pyreadstat_sample_missing.sav")
    table = read.table
    assert table.num_rows == 7
    assert table["mynum"].to_pylist()[4:] == [1000.3, None, None]  # -1 and 2500 (in 2000–3000) are user-missing
    assert table["myord"].to_pylist()[4:] == [1.0, None, None]  # -1 and -3
    assert table["mychar"].to_pylist()[5:] == ["Z", None]  # a blank text is null
    assert read.missing == {"mynum": ((2000.0, 3000.0), -1.0), "mylabl": (-1.0,), "myord": (-1.0, -2.0, -3.0)}
    assert read.value_labels["mylabl"] == {-1.0: "undetermined", 1.0: "Male", 2.0: "Female"}


def test_user_missing_text_is_null():
    read = spss.read_sav(DATA / "pyreadstat_missing_char.sav")
    assert read.table["mychar"].to_pylist() == [None, "a"]
    assert read.missing == {"mychar": ("Z",)}
    assert read.value_labels == {"mychar": {"a": "labeled"}}
    assert read.descriptions == {}


def test_a_preview_reads_only_its_rows(reads):
    table = spss.read_sav(SAMPLE, rows=2).table
    assert table["mychar"].to_pylist() == ["a", "b"]
    assert reads[-1]["row_limit"] == 2


def test_too_many_columns_are_refused_before_the_data_is_read(monkeypatch, reads):
    monkeypatch.setattr(limits, "COLUMNS", 6)
    with pytest.raises(LimitError, match=r"^pyreadstat_sample.sav: the file has 7 columns; the limit is 6\.$"):
        spss.read_sav(SAMPLE)
    assert [call.get("metadataonly") for call in reads] == [True]


def test_too_many_values_are_refused_before_the_data_is_read(monkeypatch, reads):
    monkeypatch.setattr(spss, "SAV_CELLS", 34)
    with pytest.raises(LimitError, match=r"the file has 5 rows × 7 columns; the limit is 34 values\.$"):
        spss.read_sav(SAMPLE)
    assert [call.get("metadataonly") for call in reads] == [True]
    monkeypatch.setattr(spss, "SAV_CELLS", 35)
    assert spss.read_sav(SAMPLE).table.num_rows == 5


def test_zsav_text_is_refused_by_its_declared_width(monkeypatch):
    monkeypatch.setattr(spss, "ZSAV_TEXT_BYTES", 4)  # mychar is A1: 5 rows declare 5 bytes
    with pytest.raises(LimitError, match=r"^pyreadstat_sample.zsav: its text variables are declared to hold"):
        spss.read_sav(DATA / "pyreadstat_sample.zsav")
    assert spss.read_sav(DATA / "pyreadstat_sample.zsav", rows=4).table.num_rows == 4
    assert spss.read_sav(SAMPLE).table.num_rows == 5  # a .sav's text is bounded by its size


@pytest.mark.parametrize("content", [b"", b"respondent,nps\n1,9\n", b"$FL2" + b"\0" * 200,
                                     SAMPLE.read_bytes()[:1500]])
def test_a_file_that_is_not_spss_is_refused_cleanly(tmp_path, content):
    path = tmp_path / "survey.sav"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=r"^The file cannot be read as SPSS: \S"):
        spss.read_sav(path)


def test_a_date_out_of_range_is_refused(tmp_path):
    path = tmp_path / "dates.sav"
    pyreadstat.write_sav(pa.table({"when": [1e300, 1.0]}).to_pandas(), path, variable_format={"when": "DATETIME20"})
    with pytest.raises(IngestError, match="variable 'when' has a date out of range"):
        spss.read_sav(path)

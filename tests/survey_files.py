"""Small survey Parquet files in the data contract, written by the unit tests."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

TYPES = {"ts": pa.timestamp("s"), "nps": pa.int8(), "csat": pa.int8(), "ces": pa.int8(), "rating": pa.float64()}
JAN = dt.datetime(2024, 1, 15, 12)


def write(path, **columns) -> str:
    """A Parquet file in the survey contract (segments and ids as strings; ts defaults to JAN)."""
    rows = len(next(iter(columns.values())))
    columns.setdefault("ts", [JAN] * rows)
    columns.setdefault("response_id", [f"r{i}" for i in range(rows)])
    pq.write_table(pa.table({name: pa.array(values, TYPES.get(name, pa.string())) for name, values in columns.items()}),
                   path)
    return str(path)

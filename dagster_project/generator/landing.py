"""Streaming writers that drop generated records into the landing folder.

A record "lands" at some moment (usually when it was written in the source,
sometimes days later); it goes into the extract of the month it landed in:
`landing/<source>/<table>/<extract_date>/part-0000.<ext>`, where the extract of
month M is dated the first day of M+1, and the as-of month's partial extract
is dated the as-of date. Records that would land after the as-of date have not
arrived yet and are dropped.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.contract import TABLES_BY_NAME, Table

# Events are buffered as Arrow tables and flushed (one row group per extract)
# once this many rows are waiting, which bounds memory at any scale.
EVENT_BUFFER_ROWS = 500_000


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def fmt_ts(ts: datetime, offset_minutes: int) -> str:
    """ISO-8601 with an explicit offset, the way each source system writes it."""
    local = ts.astimezone(timezone(timedelta(minutes=offset_minutes)))
    if offset_minutes == 0:
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


class LandingWriter:
    def __init__(self, out_dir: Path, window_start: date, as_of: date, since: date | None = None) -> None:
        self.out_dir = out_dir
        self.as_of = as_of
        # only what lands on or after `since` (an incremental drop of the last days)
        self.since_dt = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
        self.as_of_dt = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        months: list[date] = []
        m = window_start
        while m <= month_start(as_of):
            months.append(m)
            m = add_months(m, 1)
        # extract_dates[i] collects what landed in months[i]
        self.extract_dates = [add_months(m, 1) for m in months[:-1]] + [as_of]
        self._month_index = {(m.year, m.month): i for i, m in enumerate(months)}
        self._month_edges = np.array(
            [np.datetime64(datetime(m.year, m.month, 1), "us") for m in months[1:]], dtype="datetime64[us]"
        )
        self._files: dict[tuple[str, date], tuple[IO[str], Any]] = {}
        self._events: dict[date, list[pa.Table]] = {}
        self._buffered_events = 0
        self._parquet: dict[date, pq.ParquetWriter] = {}
        self.rows_written: dict[str, int] = {}

    # -- record tables -------------------------------------------------------
    def extract_for(self, landed_at: datetime) -> date | None:
        if landed_at >= self.as_of_dt or (self.since_dt is not None and landed_at < self.since_dt):
            return None
        return self.extract_dates[self._month_index[(landed_at.year, landed_at.month)]]

    def path_for(self, table: Table, extract_date: date, fmt: str) -> Path:
        return self.out_dir / table.source / table.name / extract_date.isoformat() / f"part-0000.{fmt}"

    def emit(self, table_name: str, row: dict[str, Any], landed_at: datetime) -> None:
        extract = self.extract_for(landed_at)
        if extract is None:
            return
        table = TABLES_BY_NAME[table_name]
        key = (table_name, extract)
        if key not in self._files:
            path = self.path_for(table, extract, table.sample_format)
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = path.open("w", newline="", encoding="utf-8")
            if table.sample_format == "csv":
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(table.column_names)
            else:
                w = None
            self._files[key] = (fh, w)
        fh, w = self._files[key]
        if table.sample_format == "csv":
            w.writerow([_csv_value(row.get(c)) for c in table.column_names])
        else:
            fh.write(json.dumps({c: row.get(c) for c in table.column_names}, separators=(",", ":")) + "\n")
        self.rows_written[table_name] = self.rows_written.get(table_name, 0) + 1

    # -- events (columnar, Parquet) -----------------------------------------
    def emit_events(self, cols: dict[str, np.ndarray], landed_at: np.ndarray) -> None:
        """cols: event_id, account_id, user_id, event_name (object arrays), occurred_at (datetime64[us] UTC)."""
        keep = landed_at < np.datetime64(self.as_of_dt.replace(tzinfo=None), "us")
        if self.since_dt is not None:
            keep &= landed_at >= np.datetime64(self.since_dt.replace(tzinfo=None), "us")
        idx = np.searchsorted(self._month_edges, landed_at, side="right")
        for i in np.unique(idx[keep]):
            sel = keep & (idx == i)
            extract = self.extract_dates[int(i)]
            self._events.setdefault(extract, []).append(_events_table({k: v[sel] for k, v in cols.items()}))
            self._buffered_events += int(sel.sum())
        if self._buffered_events >= EVENT_BUFFER_ROWS:
            self._flush_events()

    def _flush_events(self) -> None:
        for extract in sorted(self._events):
            self._write_events(extract, pa.concat_tables(self._events[extract]))
        self._events.clear()
        self._buffered_events = 0

    def _write_events(self, extract: date, batch: pa.Table) -> None:
        table = TABLES_BY_NAME["product__events"]
        if extract not in self._parquet:
            path = self.path_for(table, extract, "parquet")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._parquet[extract] = pq.ParquetWriter(path, batch.schema, compression="zstd")
        self._parquet[extract].write_table(batch)
        self.rows_written["product__events"] = self.rows_written.get("product__events", 0) + batch.num_rows

    def close(self) -> None:
        self._flush_events()
        for w in self._parquet.values():
            w.close()
        for fh, _ in self._files.values():
            fh.close()


def _events_table(cols: dict[str, np.ndarray]) -> pa.Table:
    table = TABLES_BY_NAME["product__events"]
    return pa.table(
        {
            c: pa.array(cols[c], type=pa.timestamp("us", tz="UTC") if c == "occurred_at" else pa.string())
            for c in table.column_names
        }
    )


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

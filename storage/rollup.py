"""Roll raw samples up into per job, GPU and day usage, and prune what is rolled up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import delete, insert, select, text
from sqlmodel import Session

from storage.models import RollupDirty, Sample, Usage

_DAY_S = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DEFAULT_INTERVAL_S = 30.0


def day_start(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_S


def usage_rows(samples: np.ndarray, *, start: int, max_gap_s: float) -> list[dict]:  # type: ignore[type-arg]
    """Usage of one GPU-day per job, from its samples sorted by time.

    Columns: ts, util %, memory MiB, power dW, energy J (NaN if none), job (-1 if none);
    samples before `start` are only there for continuity.

    Energy comes from the counter where two consecutive readings have one and it did not go
    backwards (a reset), else from power integrated over the interval.
    """
    ts, util, mem, power_dw, energy, job = (samples[:, k] for k in range(6))
    power = power_dw / 10.0
    first = int(np.searchsorted(ts, start))
    if first == len(ts):
        return []
    dt = np.empty_like(ts)
    dt[1:] = np.diff(ts)
    gaps = np.zeros(len(ts), dtype=bool)
    gaps[0] = True
    gaps[1:] = dt[1:] > max_gap_s
    regular = dt[~gaps]
    nominal = float(np.median(regular)) if regular.size else DEFAULT_INTERVAL_S
    dt_eff = np.where(gaps, nominal, dt)

    prev_energy = np.empty_like(energy)
    prev_energy[0] = np.nan
    prev_energy[1:] = energy[:-1]
    counted = energy - prev_energy
    by_counter = ~gaps & np.isfinite(counted) & (counted >= 0)
    prev_power = np.empty_like(power)
    prev_power[0] = power[0]
    prev_power[1:] = power[:-1]
    by_power = np.where(gaps, power, 0.5 * (power + prev_power)) * dt_eff
    joules = np.where(by_counter, np.nan_to_num(counted), by_power)

    sl = slice(first, None)
    jobs = job[sl].astype(np.int64)
    rows = []
    for j in np.unique(jobs):
        m = jobs == j
        t = ts[sl][m]
        rows.append({
            "job_id": None if j < 0 else int(j),
            "samples": int(m.sum()),
            "gpu_s": float(dt_eff[sl][m].sum()),
            "energy_j": float(joules[sl][m].sum()),
            "energy_estimated": bool((~by_counter[sl][m]).any()),
            "util_sum": float(util[sl][m].sum()),
            "util_max": float(util[sl][m].max()),
            "mem_max_mib": int(mem[sl][m].max()),
            "first_ts": int(t.min()),
            "last_ts": int(t.max()),
        })
    return rows


def rollup(*, session: Session, max_gap_s: float,
           progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute usage of every GPU-day with new samples; returns the GPU-days rolled up."""
    dirty = session.execute(
        select(RollupDirty.gpu_id, RollupDirty.day).order_by(RollupDirty.gpu_id, RollupDirty.day)
    ).all()
    conn = session.connection()
    query = text("SELECT ts, util_pct, mem_used_mib, power_dw, energy_j, "
                 "COALESCE(job_id, -1) FROM sample WHERE gpu_id = :gpu AND ts >= :lo "
                 "AND ts < :hi ORDER BY ts")
    by_gpu: dict[int, list[date]] = defaultdict(list)
    for gpu_id, day in dirty:
        by_gpu[gpu_id].append(day)
    done = 0
    for gpu_id, days in by_gpu.items():
        for day in days:
            start = day_start(day)
            fetched = conn.execute(query, {"gpu": gpu_id, "lo": start - int(max_gap_s),
                                           "hi": start + _DAY_S}).all()
            rows = []
            if fetched:
                array = np.array([tuple(r) for r in fetched], dtype=float)
                rows = usage_rows(array, start=start, max_gap_s=max_gap_s)
            session.execute(delete(Usage).where(Usage.gpu_id == gpu_id,  # type: ignore[arg-type]
                                                Usage.day == day))  # type: ignore[arg-type]
            if rows:
                session.execute(insert(Usage), [dict(r, gpu_id=gpu_id, day=day) for r in rows])
            session.execute(delete(RollupDirty).where(
                RollupDirty.gpu_id == gpu_id, RollupDirty.day == day))  # type: ignore[arg-type]
            done += 1
            if progress:
                progress(done, len(dirty))
    return done


def prune_samples(*, session: Session, now: datetime | None = None, retention_s: float) -> int:
    """Delete raw samples older than the retention window whose day is rolled up."""
    now = now or datetime.now(UTC)
    cutoff = int(now.timestamp() - retention_s)
    pending = {d for (d,) in session.execute(select(RollupDirty.day))}
    stmt = delete(Sample).where(Sample.ts < cutoff)  # type: ignore[arg-type]
    if pending:
        earliest = day_start(min(pending))
        stmt = delete(Sample).where(Sample.ts < min(cutoff, earliest))  # type: ignore[arg-type]
    result = session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

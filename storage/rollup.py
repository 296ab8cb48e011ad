"""Roll raw samples up into per job, GPU and day usage, and prune what is rolled up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session

from domain.weeks import iso_week
from storage.models import Gpu, RollupDirty, Sample, Usage

_DAY_S = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DEFAULT_INTERVAL_S = 30.0


@dataclass(frozen=True, slots=True)
class RollupResult:
    """GPU-days rolled up, energy-counter steps treated as resets, and the weeks touched."""

    gpu_days: int
    bad_counter_steps: int
    weeks: set[str]


def day_start(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_S


# No GPU draws more than this; a counter step above it over its interval is a reset.
MAX_GPU_POWER_W = 1500.0
COUNTER_MARGIN = 1.5


def usage_rows(samples: np.ndarray, *, start: int, max_gap_s: float,  # type: ignore[type-arg]
               max_power_w: float = MAX_GPU_POWER_W, bad_steps: list[int] | None = None,
               ) -> list[dict]:  # type: ignore[type-arg]
    """Usage of one GPU-day per job and stretch, from its samples sorted by time.

    Columns: ts, util %, memory MiB, power dW, energy J (NaN if none), job (-1 if none);
    samples before `start` are only there for continuity.

    Energy comes from the counter where two consecutive readings have one and it neither went
    backwards nor jumped by more than the GPU could draw in the interval (`max_power_w` x
    time x 1.5: a reset or a corrupt reading, counted in `bad_steps`), else from power
    integrated over the interval.
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
    plausible = counted <= max_power_w * COUNTER_MARGIN * np.maximum(dt, 1.0)
    by_counter = ~gaps & np.isfinite(counted) & (counted >= 0) & plausible
    if bad_steps is not None:
        bad_steps.append(int((~gaps & np.isfinite(counted) & ~plausible)[first:].sum()))
    prev_power = np.empty_like(power)
    prev_power[0] = power[0]
    prev_power[1:] = power[:-1]
    by_power = np.where(gaps, power, 0.5 * (power + prev_power)) * dt_eff
    joules = np.where(by_counter, np.nan_to_num(counted), by_power)

    # A stretch: consecutive samples of one job on this GPU with no gap over the limit. Each
    # stretch is a row of its own, so runs (storage/runs.py) can tell sessions apart.
    boundary = gaps.copy()
    boundary[1:] |= job[1:] != job[:-1]
    stretch = np.cumsum(boundary)
    sl = slice(first, None)
    jobs = job[sl].astype(np.int64)
    keys = jobs * (int(stretch.max()) + 1) + stretch[sl]
    rows = []
    for key in np.unique(keys):
        m = keys == key
        j = jobs[m][0]
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
           progress: Callable[[int, int], None] | None = None,
           max_power_w: Callable[[str], float] | None = None) -> RollupResult:
    """Recompute usage of every GPU-day with new samples.

    `max_power_w` gives the most a GPU type can draw (its TDP); unknown: 1,500 W.
    """
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
    types: dict[int, str] = dict(session.execute(select(Gpu.id, Gpu.gpu_type).where(
        Gpu.id.in_(list(by_gpu)))).all()) if by_gpu else {}  # type: ignore[attr-defined]
    done, bad_steps, weeks = 0, list[int](), set[str]()
    for gpu_id, days in by_gpu.items():
        for day in days:
            start = day_start(day)
            fetched = conn.execute(query, {"gpu": gpu_id, "lo": start - int(max_gap_s),
                                           "hi": start + _DAY_S}).all()
            rows = []
            if fetched:
                array = np.array([tuple(r) for r in fetched], dtype=float)
                limit = MAX_GPU_POWER_W
                if max_power_w is not None and gpu_id in types:
                    limit = max_power_w(types[gpu_id])
                rows = usage_rows(array, start=start, max_gap_s=max_gap_s, max_power_w=limit,
                                  bad_steps=bad_steps)
            session.execute(delete(Usage).where(Usage.gpu_id == gpu_id,  # type: ignore[arg-type]
                                                Usage.day == day))  # type: ignore[arg-type]
            if rows:
                session.execute(insert(Usage), [dict(r, gpu_id=gpu_id, day=day) for r in rows])
            session.execute(delete(RollupDirty).where(
                RollupDirty.gpu_id == gpu_id, RollupDirty.day == day))  # type: ignore[arg-type]
            done += 1
            weeks.add(iso_week(day))
            if progress:
                progress(done, len(dirty))
    return RollupResult(gpu_days=done, bad_counter_steps=sum(bad_steps), weeks=weeks)


def prune_samples(*, session: Session, now: datetime, retention_s: float) -> int:
    """Delete raw samples of whole UTC days past the retention window that are rolled up.

    Only days that ended before the window (ingest refuses samples older than it, so no new
    sample can arrive for them) and that have no GPU-day waiting for its roll-up are pruned:
    a day is never rebuilt from part of its samples.
    """
    cutoff_day = (int(now.timestamp() - retention_s)) // _DAY_S  # the first day kept
    pending = session.execute(select(func.min(RollupDirty.day))).scalar()
    if pending is not None:
        cutoff_day = min(cutoff_day, (pending.toordinal() - _EPOCH_ORDINAL))
    stmt = delete(Sample).where(Sample.ts < cutoff_day * _DAY_S)  # type: ignore[arg-type]
    result = session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

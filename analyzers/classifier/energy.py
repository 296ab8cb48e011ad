"""Energy of a piece of work: NVML on a GPU, RAPL counters on the CPU, else CPU time x TDP."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
RAPL = Path("/sys/class/powercap")
# Stated assumption when no counter is readable: watts drawn by one busy core (a 2-core
# share of a ~300 W, 32-core server CPU, uncore included).
TDP_PER_CORE_W = 10.0


@dataclass(frozen=True, slots=True)
class EnergyReading:
    """Energy used by one piece of work, J, over `duration_s`, and how it was measured."""

    energy_j: float
    duration_s: float
    method: str


def _rapl_files() -> list[Path]:
    """Package-level RAPL energy counters that this process can read."""
    files = sorted(RAPL.glob("intel-rapl:[0-9]/energy_uj"))
    readable = []
    for path in files:
        try:
            int(path.read_text())
        except (OSError, ValueError):
            continue
        readable.append(path)
    return readable


def _rapl_uj(files: list[Path]) -> int:
    return sum(int(p.read_text()) for p in files)


def _nvml_mj() -> int | None:
    """Total energy of GPU 0 since driver load, mJ, or None without a usable GPU."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        return int(pynvml.nvmlDeviceGetTotalEnergyConsumption(handle))
    except pynvml.NVMLError:
        return None


def cpu_method() -> str:
    """How CPU work is measured on this machine, in words."""
    if _rapl_files():
        return "RAPL package counters (/sys/class/powercap)"
    return f"CPU time x {TDP_PER_CORE_W:g} W per core (stated TDP share; no RAPL readable)"


def measure(work: Callable[[], T], *, device: str = "cpu") -> tuple[T, EnergyReading]:
    """Run `work` and return its result with the energy it used."""
    if device.startswith("cuda"):
        start_mj = _nvml_mj()
        if start_mj is not None:
            t0 = time.perf_counter()
            result = work()
            end_mj = _nvml_mj() or start_mj
            return result, EnergyReading((end_mj - start_mj) / 1e3, time.perf_counter() - t0,
                                         "NVML total energy counter, GPU 0")
    files = _rapl_files()
    t0, cpu0 = time.perf_counter(), os.times()
    uj0 = _rapl_uj(files) if files else 0
    result = work()
    duration = time.perf_counter() - t0
    if files:
        energy = (_rapl_uj(files) - uj0) / 1e6
    else:
        cpu1 = os.times()
        cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        energy = cpu_s * TDP_PER_CORE_W
    return result, EnergyReading(energy, duration, cpu_method())


def measure_single_thread(work: Callable[[], T]) -> tuple[T, EnergyReading]:
    """`measure` with the network on one thread: spinning idle threads would count as work.

    On a shared 2-core machine, threads waiting for each other burn CPU time, which
    CPU-time accounting charges to the small model far more than to the large one.
    """
    from analyzers.classifier.network import one_thread

    with one_thread():  # the judge passes it on to ONNX Runtime's sessions and to torch
        return measure(work)

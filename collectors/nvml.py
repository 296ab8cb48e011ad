"""The NVML reader: every GPU of this node through nvidia-ml-py (`pynvml`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from collectors.gpu import GpuReaderError, GpuReading, PowerIntegrator, ProcessReading

_MIB = 1024 * 1024

# What to tell the operator for the errors that mean "no usable NVML here".
_HINTS = {
    "NVML_ERROR_LIBRARY_NOT_FOUND": "libnvidia-ml.so is not installed or not on the library "
                                    "path (is the NVIDIA driver installed?)",
    "NVML_ERROR_DRIVER_NOT_LOADED": "the NVIDIA kernel driver is not loaded",
    "NVML_ERROR_NO_PERMISSION": "this user may not open the GPU devices",
    "NVML_ERROR_LIB_RM_VERSION_MISMATCH": "the driver library and kernel module differ in "
                                          "version (reboot or reload the driver)",
}


def load_pynvml() -> ModuleType:
    """The `pynvml` module of nvidia-ml-py; GpuReaderError when it is not installed."""
    try:
        import pynvml
    except ImportError as exc:
        raise GpuReaderError(f"NVML could not be loaded: nvidia-ml-py is not installed "
                             f"({exc})") from exc
    return pynvml


class NvmlReader:
    """Reads utilization, memory, power, energy and processes of every GPU with NVML.

    `nvml` is the pynvml module (tests pass a stand-in); `clock` returns Unix seconds;
    `on_error(name)` hears of each NVML error that left a GPU out of a read.
    """

    def __init__(self, nvml: Any | None = None, *, clock: Callable[[], float] = time.time,
                 on_error: Callable[[str], None] | None = None):
        self._nvml = nvml if nvml is not None else load_pynvml()
        self._clock = clock
        self._on_error = on_error
        self._integrator = PowerIntegrator()
        self._no_counter: set[str] = set()
        self._last_process_ts_us: dict[str, int] = {}
        try:
            self._nvml.nvmlInit()
        except self._nvml.NVMLError as exc:
            raise GpuReaderError(f"NVML could not be loaded: {self._explain(exc)}") from exc
        try:
            count = self._nvml.nvmlDeviceGetCount()
            self._devices = []
            for index in range(count):
                handle = self._nvml.nvmlDeviceGetHandleByIndex(index)
                self._devices.append((index, handle, _text(self._nvml.nvmlDeviceGetUUID(handle)),
                                      _text(self._nvml.nvmlDeviceGetName(handle))))
        except self._nvml.NVMLError as exc:
            self._nvml.nvmlShutdown()
            raise GpuReaderError(f"NVML could not list the GPUs: {self._explain(exc)}") from exc
        if not self._devices:
            self._nvml.nvmlShutdown()
            raise GpuReaderError("NVML could not be loaded: it reports no GPU on this node")

    def _explain(self, exc: Exception) -> str:
        value = getattr(exc, "value", None)
        for name, hint in _HINTS.items():
            if value is not None and value == getattr(self._nvml, name, object()):
                return f"{exc} ({hint})"
        return str(exc)

    def _error_name(self, exc: Exception) -> str:
        """NVML's name of the error, e.g. GPU_IS_LOST (UNKNOWN when it has none)."""
        value = getattr(exc, "value", None)
        for name in dir(self._nvml):
            if name.startswith("NVML_ERROR_") and getattr(self._nvml, name) == value:
                return name.removeprefix("NVML_ERROR_")
        return "UNKNOWN"

    def _is(self, exc: Exception, *names: str) -> bool:
        value = getattr(exc, "value", None)
        return any(value == getattr(self._nvml, n, object()) for n in names)

    @property
    def gpu_count(self) -> int:
        return len(self._devices)

    def read(self) -> list[GpuReading]:
        """One reading per GPU; a GPU that fails mid-read (lost, reset) is left out this time."""
        readings = []
        for index, handle, uuid, name in self._devices:
            try:
                readings.append(self._read_one(index, handle, uuid, name))
            except self._nvml.NVMLError as exc:
                if self._on_error is not None:
                    self._on_error(self._error_name(exc))
                if self._is(exc, "NVML_ERROR_UNINITIALIZED"):
                    raise GpuReaderError(f"NVML stopped working: {exc}") from exc
        return readings

    def _read_one(self, index: int, handle: Any, uuid: str, name: str) -> GpuReading:
        nvml = self._nvml
        ts = self._clock()
        util = nvml.nvmlDeviceGetUtilizationRates(handle)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        power_w = nvml.nvmlDeviceGetPowerUsage(handle) / 1000.0  # mW -> W
        energy_j: float | None = None
        estimated = False
        if uuid not in self._no_counter:
            try:
                energy_j = nvml.nvmlDeviceGetTotalEnergyConsumption(handle) / 1000.0  # mJ -> J
            except nvml.NVMLError as exc:
                if not self._is(exc, "NVML_ERROR_NOT_SUPPORTED", "NVML_ERROR_FUNCTION_NOT_FOUND"):
                    raise
                self._no_counter.add(uuid)  # pre-Volta: ask once, then integrate power
        if uuid in self._no_counter:
            energy_j = self._integrator.add(uuid, ts, power_w)
            estimated = True
        return GpuReading(
            ts=ts, uuid=uuid, name=name, util_pct=float(util.gpu),
            mem_used_mib=memory.used / _MIB, mem_total_mib=memory.total / _MIB,
            power_w=power_w, energy_j=energy_j, energy_estimated=estimated, index=index,
            processes=self._processes(handle, uuid, ts),
        )

    def _processes(self, handle: Any, uuid: str, ts: float) -> list[ProcessReading]:
        nvml = self._nvml
        try:
            running = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
        except nvml.NVMLError as exc:
            if self._is(exc, "NVML_ERROR_NOT_SUPPORTED", "NVML_ERROR_NO_PERMISSION"):
                return []
            raise
        by_pid: dict[int, ProcessReading] = {}
        for p in running:
            used = getattr(p, "usedGpuMemory", None)  # None where NVML cannot tell (MIG, vGPU)
            by_pid[int(p.pid)] = ProcessReading(
                pid=int(p.pid), mem_used_mib=None if used is None else used / _MIB)
        if not by_pid:
            return []
        since = self._last_process_ts_us.get(uuid, 0)
        try:
            samples = nvml.nvmlDeviceGetProcessUtilization(handle, since)
        except nvml.NVMLError as exc:
            # NOT_FOUND: no process ran a kernel since `since`, that is, they are idle.
            if not self._is(exc, "NVML_ERROR_NOT_FOUND", "NVML_ERROR_NOT_SUPPORTED"):
                raise
            samples = []
            if self._is(exc, "NVML_ERROR_NOT_FOUND"):
                for idle in by_pid.values():
                    idle.sm_util_pct = 0.0
        newest = since
        for s in samples:
            busy = by_pid.get(int(s.pid))
            if busy is not None:
                busy.sm_util_pct = max(busy.sm_util_pct or 0.0, float(s.smUtil))
            newest = max(newest, int(s.timeStamp))
        self._last_process_ts_us[uuid] = newest if newest > since else int(ts * 1e6)
        return list(by_pid.values())

    def close(self) -> None:
        """Shut NVML down."""
        try:
            self._nvml.nvmlShutdown()
        except self._nvml.NVMLError:
            pass  # already shut down: nothing left to release


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value

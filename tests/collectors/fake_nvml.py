"""A stand-in for the pynvml module: GPUs described by dicts, errors by NVML's codes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_GPU_IS_LOST = 15
_TEXT = {3: "Not Supported", 6: "Not Found", 9: "Driver Not Loaded",
         12: "NVML Shared Library Not Found", 15: "GPU is lost", 1: "Uninitialized"}


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _TEXT.get(self.value, f"NVML error {self.value}")


class FakeNvml:
    """GPUs: dicts with uuid, name, util, used/total bytes, power_mw, energy_mj (or an error
    code), processes [(pid, bytes)], process_util [(pid, ts_us, sm)] or an error code."""

    NVMLError = NVMLError

    def __init__(self, gpus: list[dict[str, Any]], init_error: int | None = None) -> None:
        for name, value in globals().items():
            if name.startswith("NVML_ERROR_"):
                setattr(self, name, value)
        self.gpus = gpus
        self.init_error = init_error
        self.calls: list[str] = []

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> dict[str, Any]:
        return self.gpus[index]

    def nvmlDeviceGetUUID(self, h: dict[str, Any]) -> str:
        return h["uuid"]

    def nvmlDeviceGetName(self, h: dict[str, Any]) -> bytes:
        return h["name"].encode()  # older nvidia-ml-py returned bytes

    def _maybe_fail(self, h: dict[str, Any], what: str) -> None:
        if h.get("fail") == what:
            raise NVMLError(h.get("fail_code", NVML_ERROR_GPU_IS_LOST))

    def nvmlDeviceGetUtilizationRates(self, h: dict[str, Any]) -> SimpleNamespace:
        self._maybe_fail(h, "util")
        return SimpleNamespace(gpu=h["util"], memory=0)

    def nvmlDeviceGetMemoryInfo(self, h: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(used=h["used"], total=h["total"], free=h["total"] - h["used"])

    def nvmlDeviceGetPowerUsage(self, h: dict[str, Any]) -> int:
        return h["power_mw"]

    def nvmlDeviceGetTotalEnergyConsumption(self, h: dict[str, Any]) -> int:
        self.calls.append("energy")
        if isinstance(h["energy_mj"], str):
            raise NVMLError(globals()[h["energy_mj"]])
        return h["energy_mj"]

    def nvmlDeviceGetComputeRunningProcesses(self, h: dict[str, Any]) -> list[SimpleNamespace]:
        return [SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in h["processes"]]

    def nvmlDeviceGetProcessUtilization(self, h: dict[str, Any], since: int
                                        ) -> list[SimpleNamespace]:
        self.calls.append(f"process_util since {since}")
        if isinstance(h["process_util"], str):
            raise NVMLError(globals()[h["process_util"]])
        return [SimpleNamespace(pid=p, timeStamp=t, smUtil=sm) for p, t, sm in h["process_util"]]

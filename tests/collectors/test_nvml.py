from __future__ import annotations

from typing import Any

import pytest

from collectors.gpu import GpuReaderError
from collectors.nvml import NvmlReader
from tests.collectors.fake_nvml import (
    NVML_ERROR_DRIVER_NOT_LOADED,
    NVML_ERROR_LIBRARY_NOT_FOUND,
    FakeNvml,
)

GIB = 1024 ** 3


def h100(**overrides: Any) -> dict[str, Any]:
    gpu = {"uuid": "GPU-h100-0", "name": "NVIDIA H100 80GB HBM3", "util": 87,
           "used": 40 * GIB, "total": 80 * GIB, "power_mw": 512_345, "energy_mj": 9_000_000,
           "processes": [(4242, 39 * GIB)], "process_util": [(4242, 1_000_000, 85)]}
    gpu.update(overrides)
    return gpu


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_reads_utilization_memory_power_energy_and_processes_in_our_units() -> None:
    reader = NvmlReader(FakeNvml([h100()]), clock=Clock())
    [r] = reader.read()
    assert (r.uuid, r.name, r.util_pct) == ("GPU-h100-0", "NVIDIA H100 80GB HBM3", 87.0)
    assert (r.mem_used_mib, r.mem_total_mib) == (40 * 1024, 80 * 1024)
    assert r.power_w == pytest.approx(512.345)  # mW -> W
    assert r.energy_j == pytest.approx(9000.0) and not r.energy_estimated  # mJ -> J
    [p] = r.processes
    assert (p.pid, p.mem_used_mib, p.sm_util_pct) == (4242, 39 * 1024, 85.0)


def test_a_gpu_without_an_energy_counter_gets_power_integrated_and_marked() -> None:
    clock = Clock()
    nvml = FakeNvml([h100(name="Tesla P100-PCIE-16GB", energy_mj="NVML_ERROR_NOT_SUPPORTED",
                          power_mw=100_000)])
    reader = NvmlReader(nvml, clock=clock)
    first = reader.read()[0]
    clock.now += 10
    second = reader.read()[0]
    assert first.energy_estimated and second.energy_estimated
    assert second.energy_j - first.energy_j == pytest.approx(1000.0)  # 100 W for 10 s
    assert nvml.calls.count("energy") == 1  # asked once, not on every read


def test_process_utilization_not_found_means_the_processes_are_idle() -> None:
    nvml = FakeNvml([h100(process_util="NVML_ERROR_NOT_FOUND")])
    [r] = NvmlReader(nvml, clock=Clock()).read()
    assert r.processes[0].sm_util_pct == 0.0


def test_process_utilization_is_asked_since_the_last_sample() -> None:
    nvml = FakeNvml([h100()])
    reader = NvmlReader(nvml, clock=Clock())
    reader.read()
    reader.read()
    assert [c for c in nvml.calls if c.startswith("process_util")] == [
        "process_util since 0", "process_util since 1000000"]


def test_an_idle_gpu_has_no_processes() -> None:
    [r] = NvmlReader(FakeNvml([h100(processes=[])]), clock=Clock()).read()
    assert r.processes == []


def test_a_lost_gpu_is_left_out_and_the_others_still_read() -> None:
    nvml = FakeNvml([h100(fail="util"), h100(uuid="GPU-h100-1")])
    assert [r.uuid for r in NvmlReader(nvml, clock=Clock()).read()] == ["GPU-h100-1"]


@pytest.mark.parametrize("code, words", [
    (NVML_ERROR_LIBRARY_NOT_FOUND, "NVIDIA driver installed"),
    (NVML_ERROR_DRIVER_NOT_LOADED, "kernel driver is not loaded"),
])
def test_no_driver_is_one_clear_error(code: int, words: str) -> None:
    with pytest.raises(GpuReaderError) as raised:
        NvmlReader(FakeNvml([], init_error=code))
    message = str(raised.value)
    assert message.startswith("NVML could not be loaded:") and words in message
    assert "\n" not in message


def test_no_gpu_is_one_clear_error() -> None:
    with pytest.raises(GpuReaderError, match="no GPU"):
        NvmlReader(FakeNvml([]))

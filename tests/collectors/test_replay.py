from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from collectors.gpu import GpuReaderError, GpuReading, JobRef, ProcessReading
from collectors.replay import ReplayReader, TraceRecorder

SYNTHETIC = Path(str(resources.files("collectors") / "data" / "replay_trace_synthetic.jsonl"))


def reading(ts: float, energy: float) -> GpuReading:
    return GpuReading(ts=ts, uuid="GPU-1", name="NVIDIA L4", util_pct=40, mem_used_mib=2048,
                      mem_total_mib=23034, power_w=50, energy_j=energy, processes=[
                          ProcessReading(pid=7, mem_used_mib=2000, sm_util_pct=40,
                                         job=JobRef(job_id="9", source="slurm", user="bob"))])


def test_a_recorded_trace_replays_the_same_readings(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    recorder = TraceRecorder(path, node="n1")
    recorder.record([reading(100.0, 10.0)])
    recorder.record([reading(110.0, 510.0)])
    recorder.close()
    replay = ReplayReader(path, rebase=False, loop=False)
    assert replay.node == "n1" and not replay.synthetic
    assert replay.read() == [reading(100.0, 10.0)]
    assert replay.read() == [reading(110.0, 510.0)]
    assert replay.read() == []


def test_a_looping_replay_keeps_time_and_energy_moving_forward(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    recorder = TraceRecorder(path, node="n1")
    recorder.record([reading(100.0, 10.0)])
    recorder.record([reading(110.0, 510.0)])
    recorder.close()
    now = [5000.0]
    replay = ReplayReader(path, clock=lambda: now[0])
    energies = []
    for _ in range(4):
        [r] = replay.read()
        assert r.ts == now[0]
        energies.append(r.energy_j)
        now[0] += 10
    assert energies == sorted(energies)


def test_the_shipped_trace_is_labelled_synthetic() -> None:
    replay = ReplayReader(SYNTHETIC)
    assert replay.synthetic and "SYNTHETIC" in replay.header["note"]
    readings = replay.read()
    assert len(readings) == 4
    assert {r.processes[0].job.job_id for r in readings if r.processes[0].job} >= {"4242"}


def test_a_broken_trace_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"format": "ai-cost-gpu-trace", "version": 1}\n{"ts": 1, "gpus": [{}]}\n')
    with pytest.raises(GpuReaderError, match=":2:"):
        ReplayReader(path)
    path.write_text("hello\n")
    with pytest.raises(GpuReaderError, match="not JSON"):
        ReplayReader(path)

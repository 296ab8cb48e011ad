"""What collectors send, as storage reads it: the wire types live in domain/samples.py."""

from domain.samples import (
    ENERGY_UNITS,
    MAX_MEM_MIB,
    MAX_POWER_W,
    MEMORY_UNITS,
    POWER_UNITS,
    GpuSample,
    JobInfo,
    SampleError,
    check_sample,
    job_from_json,
    sample_from_json,
)

__all__ = ["ENERGY_UNITS", "MAX_MEM_MIB", "MAX_POWER_W", "MEMORY_UNITS", "POWER_UNITS",
           "GpuSample", "JobInfo", "SampleError", "check_sample", "job_from_json",
           "sample_from_json"]

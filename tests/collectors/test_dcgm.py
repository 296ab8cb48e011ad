from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from collectors.dcgm import Normalizer, collect_page, parse_page
from config.organisation import Organisation
from storage.batches import DatabaseSink
from storage.db import session
from storage.models import Gpu, Job
from storage.queries import store_status

DATA = Path(str(resources.files("collectors") / "data"))
NOW = 1_767_225_600.0
LABELS = ('gpu="0",UUID="GPU-aaaa",device="nvidia0",modelName="NVIDIA L4",'
          'Hostname="node-9"')


def page(**values: str) -> str:
    metrics = {"DCGM_FI_DEV_GPU_UTIL": "40", "DCGM_FI_DEV_FB_USED": "2048",
               "DCGM_FI_DEV_FB_FREE": "20986", "DCGM_FI_DEV_POWER_USAGE": "35.5",
               "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": "5000000"}
    metrics.update(values)
    return "".join(f"{k}{{{LABELS}}} {v}\n" for k, v in metrics.items())


def test_a_kubernetes_page_gives_a_sample_per_gpu_with_pod_jobs_and_teams(
        organisation: Organisation) -> None:
    batch = collect_page(Normalizer(organisation), (DATA / "dcgm_a100_k8s.prom").read_text(),
                         now=NOW)
    assert batch.problems == []
    by_gpu = {s.gpu_uuid[-2:]: s for s in batch.samples}
    assert len(by_gpu) == 4
    first = by_gpu["01"]
    assert first.util_pct == pytest.approx(91.2345)  # GR_ENGINE_ACTIVE, not GPU_UTIL's 97
    assert (first.mem_used_mib, first.mem_total_mib) == (70512, 81920)
    assert first.power_w == pytest.approx(352.118)
    assert first.energy_j == pytest.approx(1_823_455_812.311)  # mJ -> J
    assert first.job == "nlp/Pod/llama-ft-0-r7kx2"
    assert by_gpu["04"].job is None  # no pod: an unallocated GPU
    jobs = {j.external_id: j for j in batch.jobs}
    assert jobs["nlp/Pod/llama-ft-0-r7kx2"].team == "nlp"
    server = jobs["vision/Pod/sentiment-api-7d9f8b6c5d-x2x7q"]
    assert server.team == "vision"
    assert server.precision == "fp32"  # FP32 pipe busy, tensor cores idle
    assert jobs["nlp/Pod/llama-ft-0-r7kx2"].precision is None


def test_mig_instances_and_slurm_jobs_with_lowercase_hostname(
        organisation: Organisation) -> None:
    text = (DATA / "dcgm_a100_mig_slurm.prom").read_text()
    batch = collect_page(Normalizer(organisation), text, now=NOW)
    assert [s.job for s in batch.samples] == ["71234", "71240"]
    assert batch.jobs == []  # sacct describes Slurm jobs
    one = batch.samples[0]
    assert one.node == "della-l04g7"
    assert one.gpu_type == "NVIDIA A100-SXM4-40GB MIG 3g.20gb"
    assert one.util_pct == pytest.approx(81.0)
    assert one.power_w == pytest.approx(212.5 / 2)  # the GPU's power shared by its instances
    assert one.energy_j is None and one.mem_total_mib == 17012 + 2932
    assert len({s.gpu_uuid for s in batch.samples}) == 2


def test_older_exporters_label_spelling_is_read(organisation: Organisation) -> None:
    text = page().replace('Hostname="node-9"', 'Hostname="node-9",pod_name="asr-0",'
                          'pod_namespace="speech",container_name="whisper"')
    batch = collect_page(Normalizer(organisation), text, now=NOW)
    assert batch.samples[0].job == "speech/Pod/asr-0"
    assert batch.jobs[0].team == "speech"


def test_an_unmapped_namespace_is_unassigned_not_dropped(organisation: Organisation) -> None:
    text = page().replace('Hostname="node-9"', 'Hostname="node-9",pod="x-0",namespace="misc"')
    batch = collect_page(Normalizer(organisation), text, now=NOW)
    assert len(batch.samples) == 1 and batch.jobs[0].team == "unassigned"


def test_a_malformed_line_loses_only_that_line() -> None:
    text = page() + 'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-bbbb" 12\n'
    rows, problems = parse_page(text)
    assert len(rows) == 5
    assert len(problems) == 1 and problems[0].startswith("line 6: malformed exposition line")


@pytest.mark.parametrize("override, reason", [
    ({"DCGM_FI_DEV_GPU_UTIL": "NaN"}, "util_pct is nan"),
    ({"DCGM_FI_DEV_POWER_USAGE": "-3"}, "power_w must be within"),
    ({"DCGM_FI_DEV_POWER_USAGE": "35000"}, "power_w must be within"),
    ({"DCGM_FI_DEV_FB_USED": "-1"}, "mem_used_mib must be within"),
])
def test_nan_negative_and_absurd_values_are_rejected_with_reasons(
        organisation: Organisation, override: dict[str, str], reason: str) -> None:
    batch = collect_page(Normalizer(organisation), page(**override), now=NOW)
    assert batch.samples == []
    assert len(batch.problems) == 1 and reason in batch.problems[0]


def test_a_page_without_uuid_is_an_unknown_gpu(organisation: Organisation) -> None:
    batch = collect_page(Normalizer(organisation), page().replace('UUID="GPU-aaaa",', ""),
                         now=NOW)
    assert batch.samples == [] and "UUID" in batch.problems[0]


def test_an_energy_counter_reset_is_reported_and_power_used_instead(
        organisation: Organisation) -> None:
    normalizer = Normalizer(organisation)
    collect_page(normalizer, page(), now=NOW)
    batch = collect_page(normalizer, page(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION="1000"),
                         now=NOW + 30)
    assert batch.samples[0].energy_j is None
    assert "counter reset" in batch.problems[0]


def test_stored_with_rejections_counted_for_status(engine: Engine,
                                                   organisation: Organisation) -> None:
    sink = DatabaseSink(engine=engine, organisation=organisation, cluster="frankfurt-k8s",
                        source="dcgm", retention_s=14 * 86400, max_skew_s=300,
                        clock=lambda: NOW)
    text = (DATA / "dcgm_a100_k8s.prom").read_text() + "garbage line {\n"
    message = sink.send(collect_page(Normalizer(organisation), text, now=NOW))
    assert message.startswith("stored 4 samples")
    with session(engine) as s:
        assert len(s.execute(select(Gpu)).all()) == 4
        assert s.execute(select(Job.team).where(Job.external_id.like("vision/%"))).scalar() \
            == "vision"  # type: ignore[attr-defined]
        [(source, _, count, example)] = store_status(session=s).rejections
    assert (source, count) == ("dcgm:frankfurt-k8s", 1) and "garbage" in (example or "")


@pytest.fixture
def exporter() -> Iterator[str]:
    body = (DATA / "dcgm_a100_k8s.prom").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/metrics"
    httpd.shutdown()


def test_collect_dcgm_print_scrapes_an_exporter(exporter: str) -> None:
    from bot.cli import app as cli

    result = CliRunner().invoke(cli, ["collect", "dcgm", "--url", exporter, "--once",
                                      "--print"])
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 4 and '"job":"nlp/Pod/llama-ft-0-r7kx2"' in lines[0]

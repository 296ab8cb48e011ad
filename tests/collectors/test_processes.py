from __future__ import annotations

from pathlib import Path

from collectors.processes import ProcessMapper

STAT = "{pid} (python) S 1 {pid} {pid} 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 {start} 0 0"


def fake_process(proc: Path, pid: int, *, uid: int = 1000, cgroup: str = "0::/user.slice\n",
                 environ: dict[str, str] | None = None, cmdline: list[str] | None = None,
                 start: int = 4410923, environ_readable: bool = True) -> None:
    d = proc / str(pid)
    d.mkdir(parents=True)
    (d / "stat").write_text(STAT.format(pid=pid, start=start))
    (d / "status").write_text(f"Name:\tpython\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n")
    (d / "cgroup").write_text(cgroup)
    (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in cmdline or ["python"]) + b"\0")
    if environ_readable:
        (d / "environ").write_bytes(b"\0".join(f"{k}={v}".encode()
                                               for k, v in (environ or {}).items()))


def users(uid: int) -> str:
    return {1000: "alice", 1001: "dave"}.get(uid, f"uid{uid}")


def test_a_slurm_process_maps_to_its_job_user_and_account(tmp_path: Path) -> None:
    fake_process(tmp_path, 51230, environ={
        "SLURM_JOB_ID": "4242", "SLURM_JOB_ACCOUNT": "nlp", "SLURM_JOB_USER": "alice",
        "SLURM_JOB_NAME": "finetune-llama-7b", "PATH": "/usr/bin"},
        cmdline=["python", "train.py", "--bf16"])
    job = ProcessMapper(node="n1", proc_root=tmp_path, users=users).job_of(51230)
    assert job is not None
    assert (job.job_id, job.source, job.user, job.account, job.name) == (
        "4242", "slurm", "alice", "nlp", "finetune-llama-7b")
    assert job.command == "python train.py --bf16"


def test_an_array_task_is_named_like_sacct_names_it(tmp_path: Path) -> None:
    fake_process(tmp_path, 7, environ={"SLURM_JOB_ID": "71273", "SLURM_ARRAY_JOB_ID": "71270",
                                       "SLURM_ARRAY_TASK_ID": "3"})
    job = ProcessMapper(node="n1", proc_root=tmp_path, users=users).job_of(7)
    assert job is not None and job.job_id == "71270_3"


def test_without_root_the_slurm_cgroup_path_still_names_the_job(tmp_path: Path) -> None:
    fake_process(tmp_path, 900, environ_readable=False, cgroup=(
        "0::/system.slice/slurmstepd.scope/job_4251/step_0/user/task_0\n"))
    job = ProcessMapper(node="n1", proc_root=tmp_path, users=users).job_of(900)
    assert job is not None and (job.job_id, job.source, job.user) == ("4251", "slurm", "alice")


def test_a_cgroup_v1_slurm_path_names_the_job(tmp_path: Path) -> None:
    fake_process(tmp_path, 901, cgroup="12:devices:/slurm/uid_1000/job_88/step_batch\n"
                                       "4:memory:/slurm/uid_1000/job_88/step_batch\n")
    job = ProcessMapper(node="n1", proc_root=tmp_path, users=users).job_of(901)
    assert job is not None and job.job_id == "88"


def test_a_kubernetes_pod_is_found_by_its_uid_in_either_cgroup_driver(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, cgroup="0::/kubepods.slice/kubepods-burstable.slice/"
                 "kubepods-burstable-pod1a2b3c4d_5e6f_4a1b_8c9d_0e1f2a3b4c5d.slice/"
                 "cri-containerd-7f3e.scope\n")
    fake_process(tmp_path, 11, cgroup="11:memory:/kubepods/besteffort/"
                 "pod1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d/7f3e\n")
    mapper = ProcessMapper(node="n1", proc_root=tmp_path, users=users)
    ids = {mapper.job_of(10).job_id, mapper.job_of(11).job_id}  # type: ignore[union-attr]
    assert ids == {"pod-1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"}


def test_any_other_process_is_its_user_and_command_line(tmp_path: Path) -> None:
    fake_process(tmp_path, 88121, uid=1001, cmdline=["/usr/bin/python3", "serve.py"])
    job = ProcessMapper(node="gpu-node-07", proc_root=tmp_path, users=users).job_of(88121)
    assert job is not None
    assert (job.source, job.user, job.name, job.command) == (
        "process", "dave", "python3", "/usr/bin/python3 serve.py")
    assert job.job_id == "gpu-node-07-88121-4410923"


def test_a_process_that_is_gone_has_no_job(tmp_path: Path) -> None:
    assert ProcessMapper(node="n1", proc_root=tmp_path).job_of(12345) is None


def test_a_reused_pid_is_a_new_process(tmp_path: Path) -> None:
    fake_process(tmp_path, 5, environ={"SLURM_JOB_ID": "1"})
    mapper = ProcessMapper(node="n1", proc_root=tmp_path, users=users)
    assert mapper.job_of(5).job_id == "1"  # type: ignore[union-attr]
    for f in (tmp_path / "5").iterdir():
        f.unlink()
    (tmp_path / "5").rmdir()
    fake_process(tmp_path, 5, environ={"SLURM_JOB_ID": "2"}, start=9999999)
    assert mapper.job_of(5).job_id == "2"  # type: ignore[union-attr]

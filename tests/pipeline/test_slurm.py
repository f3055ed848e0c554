"""The SLURM workflow profile passes the executor plugin's own checks for every rule, so a job
that a dry run accepts is not refused at submission."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from glioma_lib.config.load import PROJECT_ROOT

slurm = pytest.importorskip("snakemake_executor_plugin_slurm", reason="the `slurm` extra is not installed")
from snakemake_executor_plugin_slurm.utils import set_gres_string  # noqa: E402
from snakemake_executor_plugin_slurm.validation import validate_slurm_extra  # noqa: E402

SNAKEFILE = (PROJECT_ROOT / "workflow/Snakefile").read_text()
PROFILE = yaml.safe_load((PROJECT_ROOT / "workflow/profiles/slurm/config.yaml").read_text())


class Resources(dict):
    """Job resources as the plugin reads them: by attribute and with ``get``."""

    __getattr__ = dict.get


def _rule_resources() -> dict[str, dict]:
    """Each rule's own ``resources:`` block from the Snakefile (name=integer lines)."""
    rules = {}
    for block in re.split(r"\nrule ", SNAKEFILE)[1:]:
        name = block.split(":", 1)[0]
        own = re.search(r"\n    resources:\n((?:        \w+=\d+,\n)+)", block)
        rules[name] = dict(re.findall(r"(\w+)=(\d+)", own.group(1))) if own else {}
    return rules


@pytest.mark.parametrize("rule", sorted(_rule_resources()))
def test_every_rule_passes_the_plugins_submission_checks(rule):
    resources = Resources({**PROFILE["default-resources"], **PROFILE.get("set-resources", {}).get(rule, {}),
                           **_rule_resources()[rule]})  # fmt: skip
    job = SimpleNamespace(resources=resources, name=rule)
    validate_slurm_extra(job)  # raises WorkflowError on --gres, --gpus, --mem ... in slurm_extra
    gres = set_gres_string(job)
    if rule in ("train", "weak_labels"):
        assert "--gpus=1" in gres and resources["slurm_partition"] == "gpu"
    else:
        assert gres == ""


def test_the_old_gres_in_slurm_extra_would_have_been_refused():
    from snakemake_interface_common.exceptions import WorkflowError

    job = SimpleNamespace(resources=Resources(slurm_extra="'--gres=gpu:1'"))
    with pytest.raises(WorkflowError, match="not allowed in the 'slurm_extra'"):
        validate_slurm_extra(job)


def _dry_run_jobs(tmp_path, executor: str | None, cores: int) -> list[dict]:
    """Each job a dry run of the paper profile would submit: its rule, step and resources."""
    import subprocess

    from glioma_lib.config.load import load_config
    from glioma_lib.pipeline import workflow

    config = load_config("paper")
    config["run_dir"] = str(tmp_path / "run")
    profile = tmp_path / "paper.yaml"
    profile.write_text(yaml.safe_dump(config))
    command = workflow.snakemake_command(str(profile), cores=cores, executor=executor, extra=["--dry-run"])
    output = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    jobs = []
    for block in re.findall(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", output, re.M | re.S):
        rule, body = block
        resources = dict(re.findall(r"(\w+)=([^,\n]+)", re.search(r"resources: (.*)", body).group(1)))
        output_file = re.search(r"output: (\S+)", body)  # the rule `all` has none
        jobs.append({"rule": rule, "step": Path(output_file.group(1)).stem if output_file else rule, **resources})
    return jobs


def test_the_cluster_requests_the_cost_models_memory_and_runtime(tmp_path):
    """The SLURM dry run of the paper grid asks, for the teacher and every training, the memory and
    runtime the cost model gives (as the workflow plan has them), and the profile's defaults for
    the rest."""
    from glioma_lib.config.load import load_config
    from glioma_lib.config.steps import workflow_plan

    plan = workflow_plan(load_config("paper"))
    jobs = _dry_run_jobs(tmp_path, "slurm", cores=8)
    modelled = [j for j in jobs if j["rule"] in ("train", "weak_labels")]
    assert len(modelled) == len(plan.runs) + 1
    for job in modelled:
        step = job["step"]
        assert int(job["mem_mb"]) == plan.memory_mb[step] and int(job["runtime"]) == plan.runtime_min[step], step
        assert job["slurm_partition"] == "gpu" and job["gpu"] == "1"
    whole, cropped = plan.runtime_min["03_subtype_training-idh-all_whole-mtl"], \
        plan.runtime_min["03_subtype_training-idh-all_cropped-mtl"]
    assert whole > cropped > plan.runtime_min["03_subtype_training-idh-all_cropped-cnn"]  # voxels, then the decoder
    for job in jobs:
        if job["rule"] not in ("train", "weak_labels", "all"):
            assert int(job["runtime"]) == PROFILE["default-resources"]["runtime"], job["rule"]
            assert int(job["mem_mb"]) == PROFILE["default-resources"]["mem_mb"], job["rule"]


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_on_a_24_gb_machine_no_two_jobs_that_cannot_share_it_are_declared_to_fit(tmp_path, monkeypatch):
    """A local dry run at paper shapes on a machine reporting 24 GB: Snakemake is given 24 GB and
    each job its declared memory, so it never runs jobs together whose sum exceeds it; every job
    fits alone, and two whole-brain MTL trainings (17.9 GB measured each) do not fit together."""
    from glioma_lib.pipeline import workflow

    monkeypatch.setattr(workflow, "available_memory_mb", lambda: 24_000)
    jobs = _dry_run_jobs(tmp_path, None, cores=2)
    memory = {j["step"]: int(j.get("mem_mb", 0)) for j in jobs}
    assert max(memory.values()) <= 24_000
    whole = [m for step, m in memory.items() if step.endswith("all_whole-mtl")]
    assert len(whole) == 2 and sum(whole) > 24_000

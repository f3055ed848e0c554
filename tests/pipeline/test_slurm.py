"""The SLURM workflow profile passes the executor plugin's own checks for every rule, so a job
that a dry run accepts is not refused at submission."""

from __future__ import annotations

import re
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

"""Provenance: what a run was made from."""

import subprocess
from importlib import metadata

from glioma_lib.pipeline.provenance import git_commit, package_versions


def test_every_installed_package_is_recorded():
    versions = package_versions()
    installed = {d.metadata["Name"].lower() for d in metadata.distributions() if d.metadata["Name"]}
    assert set(versions) == installed and len(versions) > 100
    assert versions["torch"].startswith("2.13.0") and list(versions) == sorted(versions)


def test_git_commit_reports_uncommitted_changes(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)  # fmt: skip

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git("add", "a.txt")
    git("commit", "-qm", "a")
    clean = git_commit(tmp_path)
    (tmp_path / "a.txt").write_text("b")
    assert len(clean["commit"]) == 40 and not clean["dirty"] and git_commit(tmp_path)["dirty"]
    assert git_commit(tmp_path / "missing")["commit"] == "unknown"

"""Start a notebook kernel that dies with the process that started it.

jupyter_client starts kernels in a session of their own, so killing a step's process group (what
Snakemake and schedulers do) would leave its kernel writing outputs for a moment, until ipykernel
notices its parent is gone. This launcher asks Linux to kill it the instant its parent dies
(``PR_SET_PDEATHSIG``), checks the parent is still there, then becomes the kernel (``exec``).
Elsewhere it only execs. Usage: ``python -m glioma_lib.pipeline.kernel_guard PARENT_PID KERNEL_CMD...``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def die_with_parent() -> None:
    """Linux: SIGKILL this process (and what it execs) when its parent dies; elsewhere nothing."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str]) -> None:
    parent, command = int(argv[0]), argv[1:]
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        sys.exit(1)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])

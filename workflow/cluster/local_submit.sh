#!/usr/bin/env bash
# A stand-in for a scheduler's submit command (sbatch, qsub) for Snakemake's generic cluster
# executor: it runs the job script in the background on this machine and prints a job id.
# Snakemake learns that the job ended from the marker files the job script writes.
#   snakemake ... --executor cluster-generic --cluster-generic-submit-cmd "bash workflow/cluster/local_submit.sh"
set -euo pipefail
jobscript="${*: -1}"
nohup bash "$jobscript" > "${jobscript}.out" 2>&1 &
echo "local-$!"

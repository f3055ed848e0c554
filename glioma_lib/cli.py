"""The ``glioma`` command line: cohort tools, notebooks, benchmarks, the workflow and the book."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

from glioma_lib.core.errors import InputDataError, NotebookFailed


def _cohort_phantom(args: argparse.Namespace) -> None:
    from glioma_lib.cohort.phantom import PhantomConfig, generate

    config = PhantomConfig(n_mr=args.n_mr, n_scna_only=args.n_scna_only, shape=tuple(args.shape),
                           seed=args.seed)
    print(generate(args.out, config))


def _cohort_build(args: argparse.Namespace) -> None:
    from glioma_lib.cohort.manifest import build_manifest, write_manifest
    from glioma_lib.cohort.sources import CohortSources
    from glioma_lib.core.layout import CohortFolder

    for given in (args.phantom, args.realdata, args.brats):
        if given is not None and not given.is_dir():
            raise InputDataError("folder not found", path=given)
    if args.phantom:
        sources = CohortSources.phantom(args.phantom)
    elif args.realdata:
        sources = CohortSources.realdata(args.realdata, args.brats, args.scna_segments, args.cytobands)
    elif args.clinical is None:
        raise InputDataError("no cohort source: give --phantom DIR, --realdata DIR, or --clinical TABLE (with "
                             "--brats, --name-mapping and an SCNA table as you have them)")
    else:
        sources = CohortSources(clinical=args.clinical, name_mapping=args.name_mapping, brats_root=args.brats,
                                scna_genes=args.scna_genes, scna_arms=args.scna_arms, gene_to_arm=args.gene_to_arm,
                                scna_segments=args.scna_segments, cytobands=args.cytobands)
    manifest, report = build_manifest(sources, args.validation_fraction, args.seed, not args.allow_missing_mr,
                                      args.accept_unusual_geometry, tuple(args.split_requires))
    path = write_manifest(manifest, report, CohortFolder(args.out))
    print(f"{len(manifest)} patients, {len(report)} curation issues -> {path}")
    print(manifest["split"].value_counts().to_string())


def _notebook(args: argparse.Namespace) -> None:
    import logging

    from glioma_lib.pipeline.notebook import execute_notebook, read_parameter_file

    if args.log_output:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    parameters = read_parameter_file(args.parameters_file) if args.parameters_file else {}
    parameters.update({key: json.loads(value) if _is_json(value) else value for key, value in args.parameter})
    print(execute_notebook(args.name, args.out, parameters, log_output=args.log_output))


def _run(args: argparse.Namespace) -> None:
    from glioma_lib.pipeline.workflow import run

    print(f"run folder: {run(args.profile, args.cores, args.executor, args.snakemake_args)}")


def _book(args: argparse.Namespace) -> None:
    from glioma_lib.pipeline.book import build_book
    from glioma_lib.pipeline.workflow import run

    if not args.no_run:
        run(args.profile, args.cores, args.executor, args.snakemake_args)
    print(f"book: {build_book(args.profile)}")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _predict(args: argparse.Namespace) -> None:
    from glioma_lib.core.layout import PredictionFolder
    from glioma_lib.pipeline.predict import predict

    table = predict(args.input, args.output, args.model, args.device)
    counts = ", ".join(f"{n} {status}" for status, n in table["status"].value_counts().items())
    print(f"{len(table)} patients ({counts}) -> {PredictionFolder(args.output).table}")


def _export(args: argparse.Namespace) -> None:
    from glioma_lib.pipeline.bundle import export_bundle

    print(f"bundle: {export_bundle(args.run, args.output)}")


def _tune(args: argparse.Namespace) -> None:
    from glioma_lib.pipeline.tuning import tune

    variations = {key: [json.loads(v) if _is_json(v) else v for v in values] for key, *values in args.vary} or None
    table = tune(args.profile, args.run, variations, args.cores)
    print(table.drop(columns="folder").to_string(index=False))


def _costs(args: argparse.Namespace) -> None:
    from glioma_lib.core.paper_values import MR_SUBJECTS
    from glioma_lib.pipeline.extrapolate import cost_table, summary_lines

    subjects = args.subjects or MR_SUBJECTS
    table = cost_table(args.run, args.target, subjects, args.gpu_check)
    print("\n".join(summary_lines(table, subjects)))
    if args.out:
        from glioma_lib.core.atomic import write_table

        write_table(table, args.out)


def _bench(args: argparse.Namespace) -> None:
    from glioma_lib.pipeline import bench

    if args.what == "phantom":
        rows = bench.bench_phantom([tuple(s) for s in (args.shape or [[240, 240, 155], [96, 96, 64]])])
    else:
        rows = getattr(bench, f"bench_{args.what.replace('-', '_')}")(args)
    for row in rows:
        print(json.dumps(row))
    if args.out:
        from glioma_lib.core.atomic import write_json

        write_json(rows, args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glioma", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    cohort_parser = commands.add_parser("cohort", help="synthetic cohort and manifest")
    cohort = cohort_parser.add_subparsers(dest="action", required=True)
    phantom = cohort.add_parser("phantom", help="write a synthetic BraTS+TCGA cohort")
    phantom.add_argument("--out", required=True, type=Path)
    phantom.add_argument("--n-mr", type=int, default=60)
    phantom.add_argument("--n-scna-only", type=int, default=40)
    phantom.add_argument("--shape", type=int, nargs=3, default=[240, 240, 155], metavar=("X", "Y", "Z"))
    phantom.add_argument("--seed", type=int, default=0)
    phantom.set_defaults(func=_cohort_phantom)

    build = cohort.add_parser("build", help="build the cohort manifest from a phantom or real sources")
    build.add_argument("--out", required=True, type=Path,
                       help="folder for manifest.parquet/.csv and the curation report")
    build.add_argument("--phantom", type=Path, help="a folder written by 'glioma cohort phantom'")
    build.add_argument("--realdata", type=Path, help="a folder laid out like shared/realdata")
    build.add_argument("--brats", type=Path, help="BraTS 2018 training folder (flat or HGG/LGG)")
    build.add_argument("--clinical", type=Path, help="Ceccarelli 2016 Table S1A as CSV")
    build.add_argument("--name-mapping", type=Path)
    build.add_argument("--scna-genes", type=Path, help="Xena gene-level GISTIC2 table")
    build.add_argument("--scna-arms", type=Path, help="patients x arms SCNA table")
    build.add_argument("--gene-to-arm", type=Path)
    build.add_argument("--scna-segments", type=Path, help="segment-level SCNA (GDC, ASCAT, GISTIC .seg), summarised "
                                                          "to arms with --cytobands")
    build.add_argument("--cytobands", type=Path,
                       help="cytoband table of the segments' genome build (UCSC cytoBand.txt)")
    build.add_argument("--allow-missing-mr", action="store_true",
                       help="report, rather than stop on, mapping rows whose BraTS folder is missing")
    build.add_argument("--accept-unusual-geometry", action="store_true",
                       help="use scans that are not skull-stripped, not 1 mm or in another orientation than the "
                            "first subject, listing them in the curation report")
    build.add_argument("--split-requires", nargs="+", choices=["mr", "scna"], default=["mr"],
                       help="train and validation are drawn among the labelled patients with these inputs")
    build.add_argument("--validation-fraction", type=float, default=0.25)
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(func=_cohort_build)

    notebook = commands.add_parser("notebook", help="execute one book notebook with papermill")
    notebook.add_argument("name", help="e.g. 01_data_curation")
    notebook.add_argument("--out", required=True, type=Path, help="executed .ipynb")
    notebook.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                          help="a papermill parameter; VALUE is read as JSON when it parses, else as text")
    notebook.add_argument("-f", "--parameters-file", type=Path,
                          help="a YAML or JSON mapping of parameters; -p values override it")
    notebook.add_argument("--log-output", action="store_true", help="stream cell output to the terminal")
    notebook.set_defaults(func=_notebook)

    for name, func, text in [("run", _run, "run (or resume) the whole workflow of a profile with Snakemake"),
                             ("book", _book, "run the workflow, then build the Jupyter Book from its notebooks")]:
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--profile", default="default", help="smoke | default | paper | real, or a YAML file")
        sub.add_argument("--cores", type=int, default=2)
        sub.add_argument("--executor", help="a Snakemake executor plugin, e.g. slurm or cluster-generic")
        sub.add_argument("snakemake_args", nargs="*", help="further Snakemake arguments, after --")
        if name == "book":
            sub.add_argument("--no-run", action="store_true", help="build from the existing run folder only")
        sub.set_defaults(func=func)

    predict = commands.add_parser("predict", help="subtype probabilities, tumour mask and report for new patients")
    predict.add_argument("-i", "--input", required=True, type=Path, help="a BraTS subject folder, or a folder of them")
    predict.add_argument("-o", "--output", required=True, type=Path, help="a folder for predictions.csv and reports")
    predict.add_argument("--model", required=True, action="append", type=Path,
                         help="a trained run folder or an exported bundle; once per task (IDH, 1p/19q)")
    predict.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    predict.set_defaults(func=_predict)

    export = commands.add_parser("export", help="write a trained run as a self-describing bundle")
    export.add_argument("run", type=Path, help="a finished training run, e.g. runs/default/train/idh-t1ce-mtl")
    export.add_argument("-o", "--output", required=True, type=Path, help="the bundle folder (must not exist)")
    export.set_defaults(func=_export)

    tune = commands.add_parser("tune", help="re-derive tuned training settings on a development cohort")
    tune.add_argument("--profile", default="development", help="a profile whose cohort is not the book's")
    tune.add_argument("--run", default="idh-t1ce-mtl", help="the training run whose settings are varied")
    tune.add_argument("--vary", nargs="+", action="append", default=[], metavar="SETTING VALUE",
                      help="a setting and the values compared, one setting at a time (repeatable; default: "
                           "the book's tuned settings)")
    tune.add_argument("--cores", type=int, default=2)
    tune.set_defaults(func=_tune)

    costs = commands.add_parser("costs", help="a finished run's measured costs extrapolated to the paper's grid")
    costs.add_argument("run", type=Path, help="a finished run folder, e.g. runs/rehearsal")
    costs.add_argument("--target", default="paper", help="the profile whose grid is costed (default: paper)")
    costs.add_argument("--subjects", type=int, help="the target's MR subjects (default: the paper's 542)")
    costs.add_argument("--gpu-check", type=Path, help="`glioma bench gpu-check --out` JSON: measured GPU rates")
    costs.add_argument("--out", type=Path, help="also write the table (CSV)")
    costs.set_defaults(func=_costs)

    bench = commands.add_parser("bench", help="speed benchmarks for the README")
    bench.add_argument("what", choices=["phantom", "loader", "train", "weak", "gpu-check"])
    bench.add_argument("--shape", type=int, nargs=3, action="append", metavar=("X", "Y", "Z"))
    bench.add_argument("--steps", type=int, default=3, help="timed steps per figure (train, weak)")
    bench.add_argument("--compile", action="store_true", help="also time a torch.compile variant (train)")
    bench.add_argument("--concurrent", type=int, default=0, help="also time K trainings sharing the device (train)")
    bench.add_argument("--batched", type=int, default=0, help="also time K trials batched in one model (train)")
    bench.add_argument("--out", type=Path, help="also write the rows to this JSON file")
    bench.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except InputDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotebookFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(f"error: no space left on the device while writing {exc.filename or 'an output'}; free some space "
              "and run again (finished outputs are kept, and nothing half-written looks finished)", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

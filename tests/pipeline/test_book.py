"""The book builder: chapters of finished steps only, with their tables as CSV downloads."""

from __future__ import annotations

import nbformat
import yaml

from glioma_lib.pipeline import book


def test_toc_drops_chapters_a_run_did_not_produce(tmp_path):
    (tmp_path / "chapters").mkdir()
    for name in ("intro.md", "chapters/training_runs.md", "chapters/01_data_curation.ipynb",
                 "chapters/04_survival.ipynb"):
        (tmp_path / name).write_text("")
    toc = yaml.safe_load((book.BOOK / "_toc.yml").read_text())
    kept = book.filtered_toc(toc, tmp_path)
    files = [c.get("file") for part in kept["parts"] for c in part["chapters"]]
    assert files == ["chapters/01_data_curation", "chapters/04_survival"]
    assert [p["caption"] for p in kept["parts"]] == ["Data", "Survival and interpretation"]
    (tmp_path / "chapters/03_subtype_training-idh-t1ce-mtl.ipynb").write_text("")
    kept = book.filtered_toc(toc, tmp_path)
    training = next(c for part in kept["parts"] for c in part["chapters"] if c.get("file") == "chapters/training_runs")
    assert training["sections"] == [{"glob": "chapters/03_subtype_training-*"}]


def test_each_chapter_ends_with_its_tables_as_csv(tmp_path):
    import pandas as pd

    from glioma_lib.core.layout import RunLayout

    layout = RunLayout(tmp_path / "run")
    run = layout.run("idh-t1ce-mtl")
    run.folder.mkdir(parents=True)
    pd.DataFrame({"trial": [0], "validation_auc": [0.7]}).to_parquet(run.metrics)
    layout.results.mkdir(parents=True)
    layout.results_table("table_i").write_text("format,AUC\nt1ce,0.7\n")
    assert book.chapter_tables(layout, "03_subtype_training-idh-t1ce-mtl") == [run.metrics]
    assert book.chapter_tables(layout, "07_results") == [layout.results_table("table_i")]
    chapter = tmp_path / "chapters/03_subtype_training-idh-t1ce-mtl.ipynb"
    chapter.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Run")]), chapter)
    copies = book.attach_tables(chapter, book.chapter_tables(layout, chapter.stem))
    assert pd.read_csv(copies[0])["validation_auc"].tolist() == [0.7]
    last = nbformat.read(chapter, as_version=4).cells[-1].source
    assert "{download}`metrics.csv <tables/03_subtype_training-idh-t1ce-mtl/metrics.csv>`" in last

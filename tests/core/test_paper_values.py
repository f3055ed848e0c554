"""The paper's values used as reference columns agree with the transcription in shared/paper/."""

from __future__ import annotations

import pandas as pd
import pytest

from glioma_lib.core import paper_values
from glioma_lib.core.naming import SUBTYPES
from tests.conftest import REALDATA

PAPER = REALDATA.parent / "paper"
pytestmark = pytest.mark.skipif(not PAPER.is_dir(), reason="shared/paper is not beside the project")


def test_table_i_matches_the_transcription():
    table = pd.read_csv(PAPER / "table_i.csv").set_index("input_format")
    for fmt, row in table.iterrows():
        assert paper_values.TABLE_I_AUC[f"idh-{fmt}-cnn"] == row["idh_auc_cnn"]
        assert paper_values.TABLE_I_AUC[f"idh-{fmt}-mtl"] == row["idh_auc_mtl"]
        assert paper_values.TABLE_I_AUC[f"codel-{fmt}-cnn"] == row["codel_auc_cnn"]
        assert paper_values.TABLE_I_AUC[f"codel-{fmt}-mtl"] == row["codel_auc_mtl"]
        assert paper_values.TABLE_I_C_INDEX[f"idh-{fmt}-mtl"] == row["survival_cindex_mtl_mr"]
        assert paper_values.TABLE_I_C_INDEX[f"idh-{fmt}-mtl-scna"] == row["survival_cindex_mtl_mr_scna"]


def test_table_ii_matches_the_transcription():
    table = pd.read_csv(PAPER / "table_ii.csv").set_index("input_format")
    columns = {SUBTYPES[2]: "codel", SUBTYPES[1]: "idh_mutant_intact", SUBTYPES[0]: "idh_wildtype"}
    for subtype, column in columns.items():  # the SCNA-only row: the first 5 principal components
        scna_only = table.loc["scna_pca5", f"{column}_mr"]
        assert paper_values.TABLE_II_C_INDEX[(paper_values.SCNA_PCA_MODEL, subtype)] == scna_only
    for fmt, row in table.drop(index="scna_pca5").iterrows():
        for subtype, column in columns.items():
            assert paper_values.TABLE_II_C_INDEX[(f"idh-{fmt}-mtl", subtype)] == row[f"{column}_mr"]
            assert paper_values.TABLE_II_C_INDEX[(f"idh-{fmt}-mtl-scna", subtype)] == row[f"{column}_mr_scna"]
    assert paper_values.reference(paper_values.TABLE_I_C_INDEX, "no-such-run") is None

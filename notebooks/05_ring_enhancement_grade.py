# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Ring enhancement, WHO grade and what the IDH model looks at
#
# The paper found that its T1ce IDH model scores better against ring enhancement than against
# IDH status itself (Fig. 4), and that grade tracks IDH status (Fig. 6): the model may be
# reading the imaging phenotype of aggressive tumours rather than the mutation. Ring labels were
# read by a person in the paper; here they are derived from the segmentation (ground-truth masks,
# else the teacher's weak masks) with a documented score (`glioma_lib.analyses.ring`).

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the chapter's settings (glioma_lib.config.steps.RingStep); what is not given: config/config.yaml

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from glioma_lib.analyses.figures import attribution_figure, status_bars
from glioma_lib.analyses.step import attribution_analysis, ring_grade_analysis
from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core import paper_values
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

layout = RunLayout(run_dir)
ring = notebook_settings("05_ring_enhancement_grade", settings)
run = ring.run
result = ring_grade_analysis(layout, ring)
table, summary = result["table"], result["summary"]
print(f"{len(table)} MR patients scored: {table['mask_source'].value_counts().to_dict()}")

# %% [markdown]
# ## Does the derived ring flag match the planted one?
# Only on the synthetic cohort, where the simulator's truth is known.

# %%
agreement = summary["planted_agreement"]
print("not a synthetic cohort" if agreement is None else
      f"agreement with the planted ring flag: {agreement['agreement']:.1%} of {agreement['patients']} patients "
      f"(by mask source: {agreement['by_mask_source']})")

# %% mystnb={"figure": {"caption": "Distribution of the ring-enhancement score by mask source (ground truth or weak mask).", "name": "fig-ring-scores"}}
table["ring_score"].hist(by=table["mask_source"], bins=20, figsize=(8, 2.5))
plt.show()

# %% [markdown]
# ## Ring enhancement and IDH status (Fig. 4, left)

# %% mystnb={"figure": {"caption": "Ring enhancement within IDH-mutant and IDH-wildtype patients (the paper's Fig. 4, left).", "name": "fig-ring-idh"}}
status_bars(table, "ring", {True: "ring", False: "no ring"}, "ring enhancement")
plt.show()

# %%
def comparison(key: str, paper: float | None, what: str) -> dict:
    found = summary.get(key, {})
    value = found.get("r", found.get("auc"))
    return {"quantity": what, "this run": value, "n": found.get("n"), "paper": paper}


rows = [
    comparison("ring_vs_idh_wildtype", paper_values.RING_VS_IDH_WILDTYPE_R, "Pearson R, ring vs IDH-wildtype"),
    comparison("auc_against_ring", paper_values.T1CE_MTL_AUC_AGAINST_RING, f"AUC of {run} P(wildtype) vs ring"),
    comparison("auc_against_idh_wildtype", paper_values.T1CE_MTL_AUC_AGAINST_IDH, f"AUC of {run} vs IDH status"),
    comparison("grade4_vs_idh_wildtype", paper_values.GRADE_VS_IDH_WILDTYPE_R, "Pearson R, grade IV vs IDH-wildtype"),
    comparison("auc_against_grade4", paper_values.T1CE_MTL_AUC_AGAINST_GRADE, f"AUC of {run} vs grade IV"),
]
display(pd.DataFrame(rows))
print("p-values:", {k: summary[k]["p"] for k in ("ring_vs_idh_wildtype", "grade4_vs_idh_wildtype")})

# %% [markdown]
# ## WHO grade and IDH status (Fig. 6)

# %% mystnb={"figure": {"caption": "WHO grade within IDH-mutant and IDH-wildtype patients (the paper's Fig. 6).", "name": "fig-grade-idh"}}
status_bars(table, "grade", {2: "grade II", 3: "grade III", 4: "grade IV"}, "WHO grade")
plt.show()

# %% [markdown]
# ## Integrated gradients (Fig. 4 A-F)
# Attributions of the predicted class for validation patients classified correctly and wrongly,
# with and without a ring. Red pushes towards the predicted class. The convergence delta is the
# gap between the attributions' sum and the change in the logit (completeness).

# %% mystnb={"figure": {"caption": "Integrated-gradients attributions of the predicted class over T1ce for validation patients classified correctly and wrongly, with and without ring enhancement (the paper's Fig. 4 A-F); red pushes towards the predicted class.", "name": "fig-attributions"}}
trained = layout.run(run).validation_predictions.exists()
if trained:
    attributions = attribution_analysis(layout, run, ring.ig_steps)
    attribution_figure(attributions)
    plt.show()
else:
    print(f"run {run} has not been trained in {run_dir}")

# %%
if trained:
    display(attributions.drop(columns="arrays"))

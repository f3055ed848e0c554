# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Results: the paper's claims, tested
#
# Every AUC here is the honest one (checkpoint chosen on an inner split of the training
# patients, scored once on validation) with a class-stratified bootstrap 95% CI. Every
# comparison is **paired**: both models are scored on the same validation patients and the
# bootstrap resamples those patients, so the CI of a difference reflects what the two share.
# MTL - CNN is tested in each input format and Holm-adjusted across the formats of a task; the
# baselines beyond the paper form families of their own: the deep models against radiomics, and
# the two uses of unlabelled scans (MTL's segmentation against a mean teacher's consistency, with
# the mean teacher against the supervised CNN); the
# survival comparison uses the format fixed in advance (T1ce, as the paper does). On the
# synthetic cohort the numbers describe the simulator, not gliomas: compare patterns, not values.

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the chapter's settings (glioma_lib.config.steps.ResultsStep); what is not given: config/config.yaml

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout
from glioma_lib.inputs.derived import scna_embedding
from glioma_lib.results.figures import confusion_figure, label_efficiency_figure, paired_forest
from glioma_lib.results.tables import results_tables

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

layout = RunLayout(run_dir)
results = notebook_settings("07_results", settings)
tables = results_tables(layout, results.runs, scna_embedding(layout, results.pca_dim), results.bootstrap)
aucs = tables["aucs"]

# %% [markdown]
# ## Which of the paper's claims does this run support?
# **supported**: at least one comparison is significant (p < 0.05, Holm-adjusted across formats
# for MTL vs CNN) in the paper's direction and none against it; **contradicted**: the reverse;
# **inconclusive**: no significant difference, and the CI half-widths say how large a difference
# the data could have detected; **not tested**: the run lacks the models.

# %%
claims = tables["claims"]
display(Markdown("\n".join(f"- **{c.verdict}**: {c.claim}. {c.evidence}." for c in claims.itertuples())))

# %% [markdown]
# ## Every paired difference
# The chapter's main figure: each comparison's difference (a - b) on the same validation
# patients with its 95% CI. Zero (dotted) is no difference.

# %% mystnb={"figure": {"caption": "Paired differences with 95% bootstrap CIs: MTL - CNN AUC per task and format (Holm-adjusted p across formats) and per labelled-training size; MTL and CNN against the radiomics baseline (Holm-adjusted within that family); MTL - mean teacher and mean teacher - CNN (Holm-adjusted within that family); WHO 2021 three-class models - the call of the two binary models (macro one-vs-rest AUC, Holm-adjusted over the models); MTL+SCNA - SCNA logistic regression AUC; and the T1ce survival C-index comparisons. Red: p < 0.05.", "name": "fig-forest-paired"}}
paired = tables["paired"]
if len(paired):
    paired_forest(paired)
    plt.show()
else:
    print("no paired runs")

# %%
columns = ["comparison", "value_a", "value_b", "difference", "ci_low", "ci_high", "p_value", "p_holm", "n",
           "degenerate"]
display(paired.reindex(columns=columns).assign(half_width=(paired["ci_high"] - paired["ci_low"]) / 2).round(3))

# %% [markdown]
# ## Against the simulator's ceilings
# On the synthetic cohort, the best AUC a model can reach is the oracle's on the planted cues it
# can see (data-curation chapter): the imaging cues for an MR model, imaging and copy number for
# an MR+SCNA model. An MR+SCNA model below the SCNA-only ceiling has not used all the copy number
# it was given (its paired comparison with the SCNA logistic regression is in the figure above).

# %%
if "ceilings" in tables:
    display(tables["ceilings"].set_index("run").round(3))
else:
    print("Real data: no planted truth, so no ceilings.")

# %% [markdown]
# ## Label efficiency: the paper's question
# Does segmentation on unlabelled scans help more when labels are scarce? CNN and MTL trained on
# growing subsets of the labelled training patients (nested, class-stratified), with the same
# pool of unlabelled scans and the same number of updates. The axis counts every label a run
# used: the subset it was fitted on plus the inner selection split (the same at every size).

# %% mystnb={"figure": {"caption": "Honest validation AUC (95% CI) of radiomics, CNN and MTL against the number of labelled patients used (fitting and checkpoint selection); CNN and MTL with the same update budget, MTL with the same unlabelled scans at every size.", "name": "fig-label-efficiency"}}
efficiency = tables["label_efficiency"]
if len(efficiency):
    label_efficiency_figure(efficiency)
    plt.show()
else:
    print("no label-efficiency runs in this profile")

# %% [markdown]
# ## Table I: AUC by input format and model, and survival C-index
# Cells are honest AUCs with 95% CIs; "max over evaluations" is the paper's protocol (selected on
# validation) and the paper's values beside it use that protocol too.

# %%
display(tables["table_i"].set_index("input format").T)

# %% [markdown]
# ## WHO 2021: one three-class call
# Since WHO 2021 the clinical question is one call among the three subtypes. A three-class model
# (one softmax over IDH-wildtype, IDH-mutant 1p/19q-intact and co-deleted) against the call the
# paper's two binary models make together (P(wildtype) = 1 - P(IDH-mutant); the mutant share
# split by P(co-deleted)), both scored by the macro one-vs-rest AUC on the same validation
# patients; their paired differences are in the forest plot above. Per class: each subtype's
# one-vs-rest AUC with its class-stratified 95% CI.

# %%
if len(tables["per_class_auc"]):
    display(tables["per_class_auc"].pivot(index="model", columns="class", values="auc").round(3))
    display(tables["per_class_auc"].set_index(["model", "class"]).round(3))
else:
    print("no three-class runs with both binary models in this profile")

# %% mystnb={"figure": {"caption": "Confusion matrices of the three-class models and of the two-binary calls on the same validation patients: counts and the share of each true subtype (rows) called as each subtype (columns, the most probable).", "name": "fig-confusion"}}
if len(tables["confusion"]):
    confusion_figure(tables["confusion"])
    plt.show()

# %% [markdown]
# ## Table II: C-index within WHO subtypes

# %%
display(tables["table_ii"].set_index("model").T if len(tables["table_ii"]) else "no survival results")

# %% [markdown]
# ## Power and spread
# For each run: validation patients, positives, the CI half-width of its honest AUC, and the
# standard deviation of its validation probabilities (near zero would mean a collapsed model whose
# AUC only ranks ties).

# %%
display(aucs[["run", "n_validation", "n_positive", "n_train_labelled", "updates", "auc", "ci_low", "ci_high",
              "half_width", "probability_sd"]].round(3).set_index("run"))

# %% [markdown]
# ## Honest vs maximum-over-evaluations AUC
# Each point is one trial: the AUC of the checkpoint its inner split chose, against the maximum
# validation AUC over its evaluations (the original protocol). Both are one trial's; a run's
# ensemble of trials is another quantity (Table I). A point can never lie below the diagonal,
# since the maximum is taken over a set that holds the chosen checkpoint: the distance above it
# is the protocol's optimism, estimated below with a CI that resamples validation patients (every
# run scores the same ones), not trials, holding each trial's maximising evaluation at the one the
# observed patients give.

# %% mystnb={"figure": {"caption": "Per trial: the AUC of the checkpoint chosen on the inner split against the maximum validation AUC over evaluations; the dotted line is equality.", "name": "fig-honest-vs-max"}}
per_trial = tables["per_trial"]
if len(per_trial):
    fig, ax = plt.subplots(figsize=(5, 5))
    sns.scatterplot(per_trial, x="honest_auc", y="max_auc", hue="model", style="task", ax=ax)
    ax.plot([0, 1], [0, 1], ls=":", color="k")
    ax.set_xlabel("chosen checkpoint's validation AUC (per trial)")
    ax.set_ylabel("max over evaluations of validation AUC (per trial)")
    plt.show()
    optimism = tables["optimism"].iloc[0]
    print(f"Optimism of the original protocol: {optimism['mean']:+.3f} AUC [{optimism['ci_low']:+.3f}, "
          f"{optimism['ci_high']:+.3f}] over {int(optimism['trials'])} trials on {int(optimism['patients'])} "
          "validation patients (>= 0 by construction: its size is the finding, not its sign)")

"""The paper's Section IV analyses: ring enhancement, WHO grade, integrated gradients, UMAP of SCNA."""

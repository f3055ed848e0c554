"""Cohort sources (synthetic phantom or real BraTS/TCGA files), readers and the manifest."""

"""Cohort sources (synthetic phantom or real BraTS/TCGA files), their readers (tables, brats,
tcga, segments) and the manifest."""

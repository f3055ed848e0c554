"""External validation: SCNA models fitted on TCGA, applied unchanged to independent cohorts."""

"""MR inputs: the seven formats of Table I, preprocessing, the cache, augmentation, datasets, SCNA PCA."""

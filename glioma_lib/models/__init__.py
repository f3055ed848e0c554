"""3D-ESPNet segmentation network, its classification branch (MTL) and the CNN baseline."""

"""Building the deployable artifacts: the functions' zips and the pyarrow Lambda layer."""

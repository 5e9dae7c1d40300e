"""The fits of the `methods`, `protocol`, `train` and `make grid` runs: the Ray fan-out, one fit as a
task, the fit cache, each method's tuning and seeds, and the tuning rule."""

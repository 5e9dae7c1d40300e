"""One entry module per DVC stage, named like its stage: `python -m pipeline.stages.<stage>`
(`--help` says what it does, the params.yaml keys it reads and its options). Each declares the
keys it reads once, as READS (the method stages: READS_BY_GROUP): they are all `load_params`
gives it, its --help list and its `params:` in dvc.yaml (written by `make deps`). The helpers
they share are in pipeline/settings/, pipeline/fitting/ and pipeline/reporting/."""

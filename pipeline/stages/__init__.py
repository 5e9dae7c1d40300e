"""One entry module per DVC stage, named like its stage: `python -m pipeline.stages.<stage>`
(`--help` says what it does, the params.yaml keys it reads and its options). The helpers they
share sit beside this package in pipeline/."""

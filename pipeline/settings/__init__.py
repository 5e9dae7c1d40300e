"""What the stages read: the params schema (every knob once), loading and checking params.yaml, the
paths the stages write, and the settings derived from them (EICS's TrainConfig, the compared methods'
options and tuning grids, which backbones the extract stages use)."""

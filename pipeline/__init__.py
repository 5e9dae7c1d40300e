"""The DVC stages' entry points (`stages/`) and what they share. Importing it changes nothing:
a stage pins its numerics environment when it starts (`pipeline.stage.run`, `pipeline.portable`)."""

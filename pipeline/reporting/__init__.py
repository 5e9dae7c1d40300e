"""What the `evaluate` and `report` stages write beside the numbers: tables, figures, the retrieval page's
examples, and the words naming the settings behind a result."""

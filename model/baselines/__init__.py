"""Methods compared with EICS (paper Tables 2 and 4), each fitted on the same features.

Every method module exposes `fit(train, val, n_classes, seed, **options) -> model.embedder.Embedder`;
the embedder maps audio and visual rows of any split into a shared space where the same
`evaluate.metrics` code ranks by cosine similarity. `val` is there for methods that select
an epoch; the test split never reaches `fit`. The list of methods is model/registry.py;
`model.methods.fit_method` fits one by name.
"""

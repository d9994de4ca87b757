"""Fitting the network: the loop, the starts, the evidence gate and the pipeline.

- :mod:`tsattn.fitting.loop`: epochs, batches, AdamW, early stopping, device,
  seeding (``fit_module``, ``predict_module``);
- :mod:`tsattn.fitting.starts`: the linear skip's ridge start (the network's
  own initialisation is the last value);
- :mod:`tsattn.fitting.gate`: the Diebold-Mariano evidence before leaving the
  start;
- :mod:`tsattn.fitting.pipeline`: the one path of a fit, split -> start ->
  train -> select -> test, as plain functions returning a ``NetworkFit``.
"""

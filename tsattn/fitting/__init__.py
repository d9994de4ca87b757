"""Fitting the network: the loop, prediction, the starts, the gate and the pipeline.

- :mod:`tsattn.fitting.loop`: epochs, AdamW, early stopping (``fit_module``);
- :mod:`tsattn.fitting.predict`: a trained network run on windows in batches
  (``predict_module``);
- :mod:`tsattn.fitting.batches`: what a set of windows provides, and its
  batches as tensors on the device;
- :mod:`tsattn.fitting.runtime`: device, CPU threads, seeding and precision
  (``resolve_device``, ``torch_threads``);
- :mod:`tsattn.fitting.starts`: the linear skip's ridge start (the network's
  own initialisation is the last value);
- :mod:`tsattn.fitting.gate`: the Diebold-Mariano evidence before leaving the
  start;
- :mod:`tsattn.fitting.pipeline`: the one path of a fit, split -> start ->
  train -> select -> test, as plain functions returning a ``NetworkFit``.
"""

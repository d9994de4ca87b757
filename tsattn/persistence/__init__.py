"""Safe save and load of fitted attention forecasters in one safetensors file.

- :mod:`tsattn.persistence.forecasters`: ``save`` and ``load``, what of a
  forecaster the file keeps and how it is rebuilt;
- :mod:`tsattn.persistence.model_file`: the file itself, its format entries,
  checksum and version (``read_manifest``);
- :mod:`tsattn.persistence.codec`: fitted values as JSON and tensors;
- :mod:`tsattn.persistence.schema`: what the content must hold before a
  forecaster is built from it.
"""

from tsattn.persistence.forecasters import load, save
from tsattn.persistence.model_file import FORMAT, FORMAT_VERSION, read_manifest

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "read_manifest", "save"]

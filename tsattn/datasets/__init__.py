"""Data for examples and tests: shipped files, stock-like generators, OHLCV CSVs.

- :mod:`tsattn.datasets.shipped`: the data files shipped with tsattn
  (``dataset_path``, ``load_exchange_rate``);
- :mod:`tsattn.datasets.synthetic`: seeded stock-like bars with known ground
  truth (``make_stock_like``, ``stock_like_oracle``);
- :mod:`tsattn.datasets.ohlcv_csv`: a user's OHLCV CSV file
  (``load_ohlcv_csv``).
"""

from tsattn.datasets.ohlcv_csv import load_ohlcv_csv
from tsattn.datasets.shipped import dataset_path, load_exchange_rate
from tsattn.datasets.synthetic import OHLCV_COLUMNS, make_stock_like, stock_like_oracle

__all__ = [
    "OHLCV_COLUMNS",
    "dataset_path",
    "load_exchange_rate",
    "load_ohlcv_csv",
    "make_stock_like",
    "stock_like_oracle",
]

"""Arrays and hypothesis strategies the metric tests share."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Y = np.array([1.0, 2.0, 4.0, -1.0])
F = np.array([2.0, 2.0, 1.0, 1.0])  # errors y - f: -1, 0, 3, -2

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)

#: Two finite arrays of the same length, 2 to 40.
pairs = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=finite),
        hnp.arrays(np.float64, n, elements=finite),
    )
)

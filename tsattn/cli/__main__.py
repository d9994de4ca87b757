"""Run the ``tsattn`` command line as ``python -m tsattn.cli``."""

import sys

from tsattn.cli import main

if __name__ == "__main__":
    sys.exit(main())

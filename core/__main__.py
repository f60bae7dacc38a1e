"""Entry point for ``python -m core``."""

import sys

from core.limits import fit_to_address_limit

fit_to_address_limit()  # before numpy and pyarrow load: under `ulimit -v` their reservations are what runs out

from core.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Django's command-line utility; `quita` is the same thing, installed by the package."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from quita.cli import main  # noqa: E402

if __name__ == "__main__":
    main()

"""``python -m scripts.devservices``: see the package docstring."""

import sys

from scripts.devservices.cli import main

sys.exit(main())

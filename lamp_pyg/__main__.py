"""``python -m lamp_pyg``: the ``lamp-pyg`` command (:mod:`lamp_pyg.cli.main`)."""
import sys

from lamp_pyg.cli.main import main

sys.exit(main())

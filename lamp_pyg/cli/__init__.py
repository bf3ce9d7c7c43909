"""The command line (the top floor: it imports from every room, nothing imports it).

``lamp-pyg`` (installed with the package; ``python -m lamp_pyg`` is the same) has four
commands: ``train``, ``predict``, ``prepare`` and ``configs`` (:mod:`.main`). ``train.py``
and ``datasets/prepare.py`` in a checkout are thin wrappers over :mod:`.train` and
:mod:`.prepare`, with the same flags.
"""

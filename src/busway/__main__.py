"""``python -m busway``: the same as the ``busway`` command."""

from busway.cli.main import main

main()

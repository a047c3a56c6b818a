"""The ``busway`` command line: thin commands over the library, rendering kept apart."""

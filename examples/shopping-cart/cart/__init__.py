"""The shopping cart: a reference system built on Busway's public surfaces only."""

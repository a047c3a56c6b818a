"""The HTTP face of Busway: AWS's wire protocols, and later the native API and console."""

"""The control plane: one module per resource kind, over the catalog and the engine."""

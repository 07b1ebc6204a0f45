"""The schedule catalogue, one module per family."""

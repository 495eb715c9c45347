"""/help and /models."""

"""/privacy: export and forget-me."""

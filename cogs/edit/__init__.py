"""/edit: changing an uploaded image with the catalogue's editor."""

"""/imagine: a prompt and options in, an image out."""

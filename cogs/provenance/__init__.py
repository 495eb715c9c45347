"""/provenance: what the bot knows of an image it posted."""

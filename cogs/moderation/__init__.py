"""/moderation: the prompt screen's settings, the review queue and appeals."""

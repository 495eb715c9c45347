"""/board: moodboards, a thread or forum post of results, with their style and export."""

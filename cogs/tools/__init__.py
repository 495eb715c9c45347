"""The tools under a result: Vary, Zoom Out, Pan and Vary Region (bot/tools)."""

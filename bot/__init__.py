"""fluxcord: FLUX image generation for Discord servers."""

"""/blend: one FLUX.2 [pro] image from a prompt and reference images."""

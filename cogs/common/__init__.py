"""Discord helpers shared by every feature: components, replies, links, options, and the
job's own UI (confirm, progress, result, resume)."""

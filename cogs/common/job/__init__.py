"""The job's Discord side, shared by /imagine, /edit, /history, continuity and review:
confirming, progress, posting the result and its buttons, resuming after a restart."""

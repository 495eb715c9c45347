"""/preset and /preferences: a member's own saved options."""

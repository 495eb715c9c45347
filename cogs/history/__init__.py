"""/history: a member's own recent results, with reroll."""

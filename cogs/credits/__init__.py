"""/credits: balances, grants, tiers, history and the spending report."""

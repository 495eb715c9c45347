"""Moodboards: a team's chosen results, kept per board, with contact sheets and exports.

The modules here are pure (no Discord, no storage): thumbnails (`thumbs`), the contact
sheet (`sheet`), its CSV (`export`) and the rules for board names (`names`).
"""

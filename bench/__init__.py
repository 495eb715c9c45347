"""Benchmarks: `python -m bench` (the bot against the stand-ins and the floor, see
bench/run.py) and `python -m bench.ledger` (the credit ledger alone)."""

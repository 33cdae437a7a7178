"""Operator tooling for the Telegram data lake: the saved Athena queries and a local DuckDB engine to run them."""

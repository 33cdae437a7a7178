"""Erasure on request (``forget``): finding a member's data in the raw and enriched layers, and removing it."""

"""Benchmarks: figures for the README and closing notes, run with `make bench`, never as timed tests."""

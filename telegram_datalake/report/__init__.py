"""The chat report: charts and the self-contained HTML page."""

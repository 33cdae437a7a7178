"""Ingest Lambda: authenticates Telegram webhook calls and stores each update as raw JSON in S3."""

"""Importing a chat's history from Telegram Desktop's JSON export."""

"""ETL Lambda: turns a day of raw Telegram updates into one typed Parquet file."""

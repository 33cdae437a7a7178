"""Lambda functions of the Telegram data lake; each zip ships this package path so imports match the repo."""

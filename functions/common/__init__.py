"""Small helpers both Lambda functions need: settings, JSON logs and the S3 client."""

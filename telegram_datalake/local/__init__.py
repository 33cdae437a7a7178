"""The pipeline on one machine: moto for S3, a local webhook server, the unchanged Lambda handlers."""

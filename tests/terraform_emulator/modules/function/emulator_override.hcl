# The emulator's differences from AWS: tests/terraform_emulator/README.md.

resource "aws_lambda_function" "this" {
  lifecycle {
    ignore_changes = [logging_config]
  }
}

# The emulator's differences from AWS: tests/terraform_emulator/README.md.

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = {}
}

# The emulator's differences from AWS: tests/terraform_emulator/README.md.

resource "aws_s3_bucket" "state" {
  lifecycle {
    prevent_destroy = false
    ignore_changes  = [tags, tags_all]
  }
}

# The emulator's differences from AWS: tests/terraform_emulator/README.md.

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    actions = ["s3:PutBucketWebsite"]
  }

  statement {
    sid     = "DenyOutdatedTls"
    actions = ["s3:PutBucketWebsite"]
  }
}

resource "aws_s3_bucket" "this" {
  lifecycle {
    ignore_changes = [tags, tags_all]
  }
}

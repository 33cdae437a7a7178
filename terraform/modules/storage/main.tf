# The pipeline's four buckets, built from one set of resources over local.buckets.
# Every bucket: private (public access block, ACLs disabled), encrypted (SSE-S3, or SSE-KMS with
# bucket keys), TLS-only, and cleaned of incomplete multipart uploads.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  # raw: one JSON object per update. enriched: one Parquet file per table per day. athena_results: query
  # results. artifacts: the pyarrow Lambda layer. Every bucket is versioned.
  # purpose: the bucket name's middle part. noncurrent_days: when overwritten or deleted versions go.
  # transition: raw updates move to a cheaper class. expiration_days: when current objects expire.
  buckets = {
    raw = {
      purpose         = "raw"
      noncurrent_days = var.noncurrent_version_expiration_days
      transition      = var.raw_retention_days == null ? true : var.raw_retention_days > var.raw_transition_days
      expiration_days = null
      retention_days  = var.raw_retention_days
    }
    enriched = {
      purpose         = "enriched"
      noncurrent_days = var.noncurrent_version_expiration_days
      transition      = false
      expiration_days = null
      retention_days  = var.enriched_retention_days
    }
    athena_results = {
      purpose         = "athena-results"
      noncurrent_days = 1
      transition      = false
      expiration_days = var.athena_results_expiration_days
      retention_days  = null
    }
    artifacts = {
      purpose         = "artifacts"
      noncurrent_days = var.noncurrent_version_expiration_days
      transition      = false
      expiration_days = null
      retention_days  = null
    }
  }

  bucket_names = { for key, bucket in local.buckets : key => "${var.name_prefix}-${bucket.purpose}-${local.account_id}-${local.region}" }
  sse_kms      = var.kms_key_arn != null
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket        = local.bucket_names[each.key]
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = local.bucket_names[each.key], Purpose = each.value.purpose })

  lifecycle {
    # checkov:skip=CKV_AWS_18:No access-log bucket in this minimal deployment (it would need one itself); enable CloudTrail S3 data events for an audit trail.
    # checkov:skip=CKV_AWS_144:Single-region pipeline: replication would double storage cost; versioning guards against overwrites and deletes.
    # checkov:skip=CKV2_AWS_62:Nothing consumes bucket events: the ETL runs on a schedule, not on object arrival.
    precondition {
      condition     = length(local.bucket_names[each.key]) <= 63
      error_message = "Bucket name ${local.bucket_names[each.key]} is longer than 63 characters: shorten name_prefix."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.sse_kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = local.sse_kms
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

# Every bucket aborts incomplete multipart uploads, expires noncurrent versions and removes the
# delete markers left without versions; raw moves to a cheaper class; Athena results expire.
# S3 refuses expired_object_delete_marker in the same rule as an expiration after a number of days,
# so the Athena results' own expiration, which leaves a delete marker per expired result, is the
# separate "expire-objects" rule; the markers then go with "expire-noncurrent-versions".
# With raw_retention_days or enriched_retention_days, "expire-after-retention" expires that layer's objects
# (a delete marker on the current version) and every superseded version the same number of days after it
# was superseded; where two rules overlap S3 applies the shorter. Raw objects that expire before they would
# move to the cheaper class are not moved.
# Rules on noncurrent versions need versioning in place first, hence depends_on.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = each.value.noncurrent_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  dynamic "rule" {
    for_each = each.value.transition ? [true] : []

    content {
      id     = "transition-to-${lower(replace(var.raw_transition_storage_class, "_", "-"))}"
      status = "Enabled"

      filter {}

      transition {
        days          = var.raw_transition_days
        storage_class = var.raw_transition_storage_class
      }
    }
  }

  dynamic "rule" {
    for_each = each.value.expiration_days == null ? [] : [each.value.expiration_days]

    content {
      id     = "expire-objects"
      status = "Enabled"

      filter {}

      expiration {
        days = rule.value
      }
    }
  }

  dynamic "rule" {
    for_each = each.value.retention_days == null ? [] : [each.value.retention_days]

    content {
      id     = "expire-after-retention"
      status = "Enabled"

      filter {}

      expiration {
        days = rule.value
      }

      noncurrent_version_expiration {
        noncurrent_days = rule.value
      }
    }
  }

  lifecycle {
    # checkov:skip=CKV_AWS_300:The first rule aborts incomplete uploads bucket-wide (asserted by tests/storage.tftest.hcl); checkov cannot render these rule blocks once one depends on a variable whose default is null (raw_retention_days).
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Deny every request over plain HTTP or TLS older than 1.2.
data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this[each.key].arn,
      "${aws_s3_bucket.this[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this[each.key].arn,
      "${aws_s3_bucket.this[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

# The public access block goes first, so no policy can ever make a bucket public.
resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

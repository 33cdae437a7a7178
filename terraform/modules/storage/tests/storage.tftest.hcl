# modules/storage: the four buckets' names, privacy, encryption, versioning, lifecycle and TLS-only policy.
#
# The real aws provider, offline: fake keys and no credential, account or metadata lookups, so no run can
# reach or create anything. It renders aws_iam_policy_document and aws_region locally; the account id
# (an STS call) is overridden. In a plan, a policy document over a bucket's ARN is read only at apply, so
# the "policies" run applies with every managed resource overridden (nothing reaches the provider) to
# render the real JSON.

provider "aws" {
  region                      = "sa-east-1"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
  }
}

variables {
  name_prefix = "telegram-datalake"
}

run "bucket_names_and_privacy" {
  command = plan

  assert {
    condition = { for key, bucket in aws_s3_bucket.this : key => bucket.bucket } == {
      raw            = "telegram-datalake-raw-123456789012-sa-east-1"
      enriched       = "telegram-datalake-enriched-123456789012-sa-east-1"
      athena_results = "telegram-datalake-athena-results-123456789012-sa-east-1"
      artifacts      = "telegram-datalake-artifacts-123456789012-sa-east-1"
    }
    error_message = "Buckets must be named <name_prefix>-<purpose>-<account id>-<region>."
  }

  assert {
    condition     = alltrue([for bucket in aws_s3_bucket.this : bucket.force_destroy == false])
    error_message = "force_destroy must default to false."
  }

  assert {
    condition = length(aws_s3_bucket_public_access_block.this) == 4 && alltrue([
      for block in aws_s3_bucket_public_access_block.this :
      block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets
    ])
    error_message = "Every bucket must block all four kinds of public access."
  }

  assert {
    condition     = length(aws_s3_bucket_ownership_controls.this) == 4 && alltrue([for controls in aws_s3_bucket_ownership_controls.this : controls.rule[0].object_ownership == "BucketOwnerEnforced"])
    error_message = "Every bucket must disable ACLs (BucketOwnerEnforced)."
  }

  assert {
    condition = length(aws_s3_bucket_server_side_encryption_configuration.this) == 4 && alltrue([
      for sse in aws_s3_bucket_server_side_encryption_configuration.this :
      one(sse.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256" && one(sse.rule).bucket_key_enabled == false
    ])
    error_message = "Without kms_key_arn every bucket must use SSE-S3 (AES256), without a bucket key."
  }

  assert {
    condition     = length(aws_s3_bucket_versioning.this) == 4 && alltrue([for versioning in aws_s3_bucket_versioning.this : versioning.versioning_configuration[0].status == "Enabled"])
    error_message = "Every bucket must be versioned."
  }

  assert {
    condition     = output.account_id == "123456789012"
    error_message = "account_id must be the caller's account."
  }
}

run "lifecycle_rules" {
  command = plan

  assert {
    condition = { for key, lifecycle in aws_s3_bucket_lifecycle_configuration.this : key => [for rule in lifecycle.rule : rule.id] } == {
      raw            = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "transition-to-standard-ia"]
      enriched       = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]
      athena_results = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "expire-objects"]
      artifacts      = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]
    }
    error_message = "Lifecycle rules per bucket: multipart and noncurrent cleanup on all, the transition on raw only, expiry on athena_results only."
  }

  assert {
    condition     = alltrue([for lifecycle in aws_s3_bucket_lifecycle_configuration.this : lifecycle.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 7 && lifecycle.rule[0].status == "Enabled"])
    error_message = "Incomplete multipart uploads must be aborted after 7 days on every bucket."
  }

  assert {
    condition = { for key, lifecycle in aws_s3_bucket_lifecycle_configuration.this : key => lifecycle.rule[1].noncurrent_version_expiration[0].noncurrent_days } == {
      raw = 30, enriched = 30, athena_results = 1, artifacts = 30
    }
    error_message = "Noncurrent versions must expire after noncurrent_version_expiration_days (athena_results: 1 day)."
  }

  assert {
    condition     = alltrue([for lifecycle in aws_s3_bucket_lifecycle_configuration.this : lifecycle.rule[1].expiration[0].expired_object_delete_marker == true])
    error_message = "Delete markers left without versions must be removed on every bucket."
  }

  assert {
    condition     = [for transition in aws_s3_bucket_lifecycle_configuration.this["raw"].rule[2].transition : { days = transition.days, storage_class = transition.storage_class }] == [{ days = 30, storage_class = "STANDARD_IA" }]
    error_message = "Raw updates must move to STANDARD_IA after 30 days."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["athena_results"].rule[2].expiration[0].days == 30
    error_message = "Athena results must expire after athena_results_expiration_days (30)."
  }
}

run "kms_and_other_transition" {
  command = plan

  variables {
    kms_key_arn                  = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    raw_transition_storage_class = "INTELLIGENT_TIERING"
    raw_transition_days          = 0
    force_destroy                = true
  }

  assert {
    condition = alltrue([
      for sse in aws_s3_bucket_server_side_encryption_configuration.this :
      one(sse.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
      && one(sse.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      && one(sse.rule).bucket_key_enabled == true
    ])
    error_message = "With kms_key_arn every bucket must use SSE-KMS with that key and a bucket key."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["raw"].rule[2].id == "transition-to-intelligent-tiering" && [for transition in aws_s3_bucket_lifecycle_configuration.this["raw"].rule[2].transition : transition.days] == [0]
    error_message = "The transition rule must follow raw_transition_storage_class and raw_transition_days."
  }

  assert {
    condition     = alltrue([for bucket in aws_s3_bucket.this : bucket.force_destroy])
    error_message = "force_destroy must reach every bucket."
  }
}

# Apply with every managed resource overridden: nothing is created; the provider only renders the policy.
run "tls_only_policies" {
  command   = apply
  state_key = "rendered"

  override_resource {
    target = aws_s3_bucket.this["raw"]
    values = { id = "telegram-datalake-raw-123456789012-sa-east-1", arn = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1" }
  }
  override_resource {
    target = aws_s3_bucket.this["enriched"]
    values = { id = "telegram-datalake-enriched-123456789012-sa-east-1", arn = "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1" }
  }
  override_resource {
    target = aws_s3_bucket.this["athena_results"]
    values = { id = "telegram-datalake-athena-results-123456789012-sa-east-1", arn = "arn:aws:s3:::telegram-datalake-athena-results-123456789012-sa-east-1" }
  }
  override_resource {
    target = aws_s3_bucket.this["artifacts"]
    values = { id = "telegram-datalake-artifacts-123456789012-sa-east-1", arn = "arn:aws:s3:::telegram-datalake-artifacts-123456789012-sa-east-1" }
  }
  override_resource {
    target = aws_s3_bucket_public_access_block.this
  }
  override_resource {
    target = aws_s3_bucket_ownership_controls.this
  }
  override_resource {
    target = aws_s3_bucket_server_side_encryption_configuration.this
  }
  override_resource {
    target = aws_s3_bucket_versioning.this
  }
  override_resource {
    target = aws_s3_bucket_lifecycle_configuration.this
  }
  override_resource {
    target = aws_s3_bucket_policy.this
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.this["raw"].policy) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = ["arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*", "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
        {
          Sid       = "DenyOutdatedTls"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = ["arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*", "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1"]
          Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
        },
      ]
    }
    error_message = "The raw bucket's policy must deny plain HTTP and TLS older than 1.2 on the bucket and its objects, and nothing else."
  }

  # A bucket's ARN is "arn:aws:s3:::" and its name. Not aws_s3_bucket.this[key].arn: Terraform 1.15.5
  # panics rendering a failed assertion over an applied aws_s3_bucket (its deprecated attributes are marked).
  assert {
    condition = alltrue([
      for key, policy in aws_s3_bucket_policy.this :
      jsondecode(policy.policy).Statement[*].Resource == [
        for sid in ["DenyInsecureTransport", "DenyOutdatedTls"] :
        ["arn:aws:s3:::telegram-datalake-${replace(key, "_", "-")}-123456789012-sa-east-1/*", "arn:aws:s3:::telegram-datalake-${replace(key, "_", "-")}-123456789012-sa-east-1"]
      ]
      && jsondecode(policy.policy).Statement[*].Sid == ["DenyInsecureTransport", "DenyOutdatedTls"]
    ])
    error_message = "Every bucket's TLS-only policy must cover that bucket and its objects only."
  }
}

run "reject_short_infrequent_access_transition" {
  command = plan

  variables {
    raw_transition_days = 7
  }

  expect_failures = [var.raw_transition_days]
}

run "reject_reserved_bucket_prefix" {
  command = plan

  variables {
    name_prefix = "xn--datalake"
  }

  expect_failures = [var.name_prefix]
}

run "retention_rules" {
  command = plan

  variables {
    raw_retention_days      = 400
    enriched_retention_days = 365
  }

  assert {
    condition = { for key, lifecycle in aws_s3_bucket_lifecycle_configuration.this : key => [for rule in lifecycle.rule : rule.id] } == {
      raw            = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "transition-to-standard-ia", "expire-after-retention"]
      enriched       = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "expire-after-retention"]
      athena_results = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "expire-objects"]
      artifacts      = ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]
    }
    error_message = "retention rule missing"
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["raw"].rule[3].expiration[0].days == 400 && aws_s3_bucket_lifecycle_configuration.this["raw"].rule[3].noncurrent_version_expiration[0].noncurrent_days == 400
    error_message = "raw retention"
  }
}

run "reject_enriched_longer_than_raw" {
  command = plan
  variables {
    raw_retention_days      = 30
    enriched_retention_days = 60
  }
  expect_failures = [var.enriched_retention_days]
}

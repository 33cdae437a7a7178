output "bucket_names" {
  description = "Bucket names by purpose key (raw, enriched, athena_results, artifacts), known once every bucket is fully configured (private, encrypted, versioned, TLS-only)."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.id }

  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
    aws_s3_bucket_policy.this,
  ]
}

output "bucket_arns" {
  description = "Bucket ARNs by purpose key (raw, enriched, athena_results, artifacts)."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.arn }
}

output "account_id" {
  description = "AWS account id the buckets are in (their expected owner)."
  value       = local.account_id
}

variable "name_prefix" {
  description = "Prefix of every bucket name: <name_prefix>-<purpose>-<account id>-<region>. Lowercase letters, digits and hyphens, 3 to 20 characters, so the longest name (athena-results) stays within S3's 63."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3 to 20 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = !startswith(var.name_prefix, "xn--") && !startswith(var.name_prefix, "sthree-") && !startswith(var.name_prefix, "amzn-s3-demo-")
    error_message = "name_prefix must not start with xn--, sthree- or amzn-s3-demo-: S3 reserves these bucket name prefixes."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for SSE-KMS (with S3 Bucket Keys) on every bucket. null: SSE-S3 (AES256)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the buckets with every object (and version) still in them. Leave false for a real deployment."
  type        = bool
  default     = false
}

variable "raw_transition_days" {
  description = "Days after which raw updates move to raw_transition_storage_class. At least 30 for STANDARD_IA and ONEZONE_IA. S3 does not transition objects under 128 KiB by default, and most raw updates are smaller, so this mainly affects large updates."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_transition_days >= 0 && floor(var.raw_transition_days) == var.raw_transition_days
    error_message = "raw_transition_days must be a whole number of days, 0 or more."
  }

  validation {
    condition     = !contains(["STANDARD_IA", "ONEZONE_IA"], var.raw_transition_storage_class) || var.raw_transition_days >= 30
    error_message = "raw_transition_days must be at least 30 when raw_transition_storage_class is STANDARD_IA or ONEZONE_IA (an S3 rule)."
  }
}

variable "raw_transition_storage_class" {
  description = "Storage class raw updates move to after raw_transition_days. Only classes with instant reads, so the ETL can always reprocess a day."
  type        = string
  default     = "STANDARD_IA"

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"], var.raw_transition_storage_class)
    error_message = "raw_transition_storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed from the raw, enriched and artifacts buckets (Athena results: after 1 day)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, 1 or more."
  }
}

variable "athena_results_expiration_days" {
  description = "Days after which Athena query results (and their noncurrent versions) are deleted from the athena-results bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days >= 1 && floor(var.athena_results_expiration_days) == var.athena_results_expiration_days
    error_message = "athena_results_expiration_days must be a whole number of days, 1 or more."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted, on every bucket."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, 1 or more."
  }
}

variable "tags" {
  description = "Tags added to every bucket (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "raw_retention_days" {
  description = "How many days raw updates (the webhook's JSON, imported history included) are kept, counted from when each object was written; a version replaced or deleted before then is kept the same number of days after it was superseded, at most (with noncurrent_version_expiration_days, the shorter wins). null keeps them forever. A limit keeps personal data no longer than needed (LGPD art. 15-16, GDPR art. 5(1)(e)) and bounds the bucket's cost, but backfill and forget can only rebuild days whose raw updates are still there."
  type        = number
  default     = null

  validation {
    condition     = var.raw_retention_days == null || try(var.raw_retention_days >= 1 && floor(var.raw_retention_days) == var.raw_retention_days, false)
    error_message = "raw_retention_days must be null (forever) or a whole number of days, 1 or more."
  }
}

variable "enriched_retention_days" {
  description = "How many days the enriched Parquet files are kept, counted from when each was last written (a rebuild restarts it); superseded versions as for raw_retention_days. null keeps them forever. When raw_retention_days is set this must be too, and not longer: a day rebuilt after its raw updates expired would come out empty."
  type        = number
  default     = null

  validation {
    condition     = var.enriched_retention_days == null || try(var.enriched_retention_days >= 1 && floor(var.enriched_retention_days) == var.enriched_retention_days, false)
    error_message = "enriched_retention_days must be null (forever) or a whole number of days, 1 or more."
  }

  validation {
    condition     = var.raw_retention_days == null || try(var.enriched_retention_days <= var.raw_retention_days, false)
    error_message = "enriched_retention_days must be set, and not exceed raw_retention_days, when raw_retention_days is: a day rebuilt after its raw updates expired would come out empty."
  }
}

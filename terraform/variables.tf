################################################################################
# Deployment
################################################################################

variable "aws_region" {
  description = "AWS Region to deploy to, e.g. us-east-1 or sa-east-1."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.aws_region))
    error_message = "aws_region must be an AWS Region code such as us-east-1, eu-west-2 or sa-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name. Buckets are named <name_prefix>-<purpose>-<account id>-<region>, so it is limited to 3-20 lowercase letters, digits and hyphens."
  type        = string
  default     = "telegram-datalake"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3 to 20 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource through the provider's default_tags (besides Project and ManagedBy, which they may override)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.tags : length(key) >= 1 && length(key) <= 128 && length(value) >= 1 && length(value) <= 256 && !startswith(lower(key), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with aws:; values 1 to 256 characters (an empty value makes the provider re-read tags after every change, which the CI roles may not)."
  }
}

variable "dist_dir" {
  description = "Folder with the packages `make build` writes: ingest.zip, etl.zip and pyarrow-layer.zip. null: the dist folder next to this one (path.root/../dist)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the buckets with their objects and the Athena workgroup with its queries. Leave false for a real deployment."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key (same Region) to encrypt everything with: buckets (SSE-KMS with bucket keys), Lambda environments, log groups, the dead-letter queue, the schedule, Athena results and the alarm topic. Its key policy must allow CloudWatch Logs (logs.<region>.amazonaws.com) and CloudWatch alarms (cloudwatch.amazonaws.com). null: AWS managed encryption (SSE-S3 and service defaults)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy every role of the deployment carries as its permissions boundary. Set by CI (the bootstrap's permissions_boundary_arn output), where the apply role may create roles only with it. null: the deployment creates its own, <name_prefix>-pipeline-boundary, from the same document."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/...), or null."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the functions' logs and the API's access logs (0: forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

################################################################################
# Pipeline
################################################################################

variable "timezone" {
  description = "IANA time zone that defines a day: the context_date partition, \"yesterday\" for the daily run, the schedule's clock and local times in the saved queries."
  type        = string
  default     = "America/Sao_Paulo"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", var.timezone))
    error_message = "timezone must be an IANA time zone name such as America/Sao_Paulo or UTC."
  }
}

variable "allowed_chat_ids" {
  description = "Chat ids whose updates are stored, as strings (groups and channels are negative, e.g. \"-1001234567890\"); [\"*\"] stores every chat the bot is in."
  type        = list(string)

  validation {
    condition     = length(var.allowed_chat_ids) > 0
    error_message = "allowed_chat_ids must list at least one chat id, or be [\"*\"]."
  }

  validation {
    condition = (
      (length(var.allowed_chat_ids) == 1 && try(var.allowed_chat_ids[0] == "*", false))
      || alltrue([for id in var.allowed_chat_ids : can(regex("^-?[0-9]+$", id))])
    )
    error_message = "allowed_chat_ids must be integer chat ids (e.g. \"-1001234567890\"), or exactly [\"*\"]."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of both functions and the pyarrow layer: arm64 (cheaper) or x86_64. `make build` must build the layer for the same one."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "raw_prefix" {
  description = "Key prefix of the raw updates: s3://<raw bucket>/<raw_prefix>/context_date=YYYY-MM-DD/<update_id>.json."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.raw_prefix))
    error_message = "raw_prefix must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }
}

variable "enriched_prefix" {
  description = "Key prefix of the messages table's Parquet files: s3://<enriched bucket>/<enriched_prefix>/context_date=YYYY-MM-DD/telegram.parquet. The other tables' prefixes are their names (s3://<enriched bucket>/<table>/context_date=YYYY-MM-DD/<table>.parquet, one per sql/tables/*.json but telegram.json): enriched_prefix may be neither of them, nor under one."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.enriched_prefix))
    error_message = "enriched_prefix must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }

  validation {
    condition     = alltrue([for table in local.update_tables : var.enriched_prefix != table && !startswith(var.enriched_prefix, "${table}/")])
    error_message = "enriched_prefix must not be another table's prefix (${join(", ", local.update_tables)}) or under one: the ETL writes that table there."
  }
}

################################################################################
# Storage
################################################################################

variable "raw_transition_days" {
  description = "Days after which raw updates move to raw_transition_storage_class (at least 30 for STANDARD_IA and ONEZONE_IA). S3 does not transition objects under 128 KiB by default, which most raw updates are."
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
  description = "Storage class raw updates move to: STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR (classes with instant reads, so any day can be reprocessed)."
  type        = string
  default     = "STANDARD_IA"

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"], var.raw_transition_storage_class)
    error_message = "raw_transition_storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days overwritten or deleted object versions are kept in the raw, enriched and artifacts buckets."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, 1 or more."
  }
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days >= 1 && floor(var.athena_results_expiration_days) == var.athena_results_expiration_days
    error_message = "athena_results_expiration_days must be a whole number of days, 1 or more."
  }
}

################################################################################
# Ingest
################################################################################

variable "api_throttling_burst_limit" {
  description = "Burst limit (requests) of the webhook route. Telegram opens at most 40 connections by default."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number from 1 to 5000."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady-state rate limit (requests per second) of the webhook route."
  type        = number
  default     = 25

  validation {
    condition     = var.api_throttling_rate_limit > 0 && var.api_throttling_rate_limit <= 10000
    error_message = "api_throttling_rate_limit must be more than 0 and at most 10000 requests per second."
  }
}

variable "webhook_secret_rotation_overlap_seconds" {
  description = "After `telegram-datalake webhook rotate-secret`, how long the webhook still accepts the previous secret token, so that no delivery already under way is refused."
  type        = number
  default     = 300

  validation {
    condition     = var.webhook_secret_rotation_overlap_seconds >= 0 && var.webhook_secret_rotation_overlap_seconds <= 86400 && floor(var.webhook_secret_rotation_overlap_seconds) == var.webhook_secret_rotation_overlap_seconds
    error_message = "webhook_secret_rotation_overlap_seconds must be a whole number of seconds from 0 to 86400."
  }
}

variable "webhook_secret_recovery_window_days" {
  description = "Days Secrets Manager keeps the webhook secret after `terraform destroy` (7 to 30), or 0 to delete it at once so that a new apply can reuse its name. `telegram-datalake webhook set` writes a new token at any time."
  type        = number
  default     = 0

  validation {
    condition     = var.webhook_secret_recovery_window_days == 0 || (var.webhook_secret_recovery_window_days >= 7 && var.webhook_secret_recovery_window_days <= 30 && floor(var.webhook_secret_recovery_window_days) == var.webhook_secret_recovery_window_days)
    error_message = "webhook_secret_recovery_window_days must be 0 or a whole number from 7 to 30."
  }
}

################################################################################
# ETL
################################################################################

variable "etl_memory_size" {
  description = "Memory of the ETL function in MB (CPU and network scale with it)."
  type        = number
  default     = 1024

  validation {
    condition     = var.etl_memory_size >= 128 && var.etl_memory_size <= 10240 && floor(var.etl_memory_size) == var.etl_memory_size
    error_message = "etl_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "etl_timeout" {
  description = "Timeout of the ETL function in seconds (10 to 900). Every S3 call is bounded to end within a quarter of it (at most 120 s), and no call starts that might end after it: the run then fails naming the day it stopped at."
  type        = number
  default     = 900

  validation {
    condition     = var.etl_timeout >= 10 && var.etl_timeout <= 900 && floor(var.etl_timeout) == var.etl_timeout
    error_message = "etl_timeout must be a whole number of seconds from 10 (the least that leaves time for an S3 call) to 900."
  }
}

variable "etl_max_workers" {
  description = "Concurrent S3 reads of the ETL function."
  type        = number
  default     = 32

  validation {
    condition     = var.etl_max_workers >= 1 && var.etl_max_workers <= 256 && floor(var.etl_max_workers) == var.etl_max_workers
    error_message = "etl_max_workers must be a whole number from 1 to 256."
  }
}

variable "etl_reserved_concurrent_executions" {
  description = "Concurrency reserved for the ETL function. null (the default): unreserved, the only value a new account accepts, since AWS keeps 10 executions unreserved and a new account's quota is often 10; overlapping runs of a day write the same bytes, so they are harmless. 1 keeps runs from overlapping, once the quota allows it."
  type        = number
  default     = null

  validation {
    condition     = var.etl_reserved_concurrent_executions == null || try(var.etl_reserved_concurrent_executions >= 1 && floor(var.etl_reserved_concurrent_executions) == var.etl_reserved_concurrent_executions, false)
    error_message = "etl_reserved_concurrent_executions must be null (unreserved) or a whole number of 1 or more."
  }
}

variable "etl_schedule_expression" {
  description = "When the daily ETL run starts, in var.timezone: an EventBridge Scheduler cron(...) or rate(...) expression. The default, 00:30 every day, processes the day that just ended."
  type        = string
  default     = "cron(30 0 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.etl_schedule_expression))
    error_message = "etl_schedule_expression must be an EventBridge Scheduler cron(...) or rate(...) expression."
  }
}

################################################################################
# Analytics
################################################################################

variable "projection_start_date" {
  description = "First day (YYYY-MM-DD) Athena's partition projection covers; the range runs to today. Set it on or before the first day of data."
  type        = string
  default     = "2025-01-01"

  validation {
    condition     = can(regex("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", var.projection_start_date)) && can(formatdate("YYYY-MM-DD", "${var.projection_start_date}T00:00:00Z"))
    error_message = "projection_start_date must be a date as YYYY-MM-DD, e.g. 2025-01-01."
  }
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Bytes one Athena query may scan before it is cancelled (cost guard; default 1 GiB, minimum 10 MB)."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query >= 10485760 && floor(var.athena_bytes_scanned_cutoff_per_query) == var.athena_bytes_scanned_cutoff_per_query
    error_message = "athena_bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB)."
  }
}

################################################################################
# Monitoring
################################################################################

variable "alarm_email" {
  description = "E-mail address that receives the alarms through an SNS topic (confirm the subscription e-mail AWS sends). null: no topic; the alarms are still visible in CloudWatch."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address, or null."
  }
}

variable "api_4xx_alarm_threshold" {
  description = "Refused webhook requests (4xx) in five minutes that fire the api-4xx alarm: a wrong or rotated secret token refuses every update with 401, and Telegram keeps retrying each one."
  type        = number
  default     = 5

  validation {
    condition     = var.api_4xx_alarm_threshold >= 1 && floor(var.api_4xx_alarm_threshold) == var.api_4xx_alarm_threshold
    error_message = "api_4xx_alarm_threshold must be a whole number, 1 or more."
  }
}

variable "no_update_alarm_hours" {
  description = "Hours without a single stored update after which the no-updates-stored alarm fires (1 to 168): the bot removed from the group, the webhook deleted. Set it above your group's longest quiet spell."
  type        = number
  default     = 24

  validation {
    condition     = var.no_update_alarm_hours >= 1 && var.no_update_alarm_hours <= 168 && floor(var.no_update_alarm_hours) == var.no_update_alarm_hours
    error_message = "no_update_alarm_hours must be a whole number of hours from 1 to 168."
  }
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

variable "pseudonym_key_parameter_name" {
  description = "Pseudonymised analytics: the name of the SSM SecureString holding the pseudonym key, under /<name_prefix>/ (e.g. /telegram-datalake/pseudonym-key), written first by `telegram-datalake pseudonym-key init`. Set, the enriched tables carry HMAC-SHA256 pseudonyms instead of user ids, and no names; the raw layer keeps the originals. Terraform never reads or stores the key. null (the default): user ids and names as they are. Rebuild the days with backfill after changing it."
  type        = string
  default     = null

  validation {
    condition     = var.pseudonym_key_parameter_name == null || try(startswith(var.pseudonym_key_parameter_name, "/${var.name_prefix}/"), false)
    error_message = "pseudonym_key_parameter_name must be under /<name_prefix>/ (e.g. /telegram-datalake/pseudonym-key): the pipeline's permissions boundary lets its roles read parameters there only."
  }
}

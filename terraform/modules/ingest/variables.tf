variable "name" {
  description = "Name of the ingest function; also names its IAM role, HTTP API and log groups."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1 to 56 letters, digits, hyphens or underscores (Lambda allows 64; the role adds a suffix)."
  }
}

variable "package_path" {
  description = "Path of the function's deployment package (dist/ingest.zip, built by `make build`)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must be the path of a .zip file."
  }
}

variable "architecture" {
  description = "Instruction set of the function: arm64 (cheaper per GB-second) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function in seconds (5 to 29: API Gateway waits at most 30 s for an HTTP API integration). The function sizes its Secrets Manager and S3 calls' timeouts and retries to end within it; below 20 s the S3 put gets one attempt."
  type        = number
  default     = 20

  validation {
    condition     = var.timeout >= 5 && var.timeout <= 29 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 5 (the least that leaves time for the function's AWS calls) to 29 (under API Gateway's 30-second integration limit)."
  }
}

variable "raw_bucket_name" {
  description = "Name of the bucket the raw updates are written to (RAW_BUCKET)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_name))
    error_message = "raw_bucket_name must be a valid S3 bucket name."
  }
}

variable "raw_bucket_arn" {
  description = "ARN of the raw bucket; the function may only put objects under <raw_prefix>/ in it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_arn))
    error_message = "raw_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "raw_prefix" {
  description = "Key prefix of the raw updates in the raw bucket (RAW_PREFIX), without leading or trailing slash."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.raw_prefix))
    error_message = "raw_prefix must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }
}

variable "timezone" {
  description = "IANA time zone that decides an update's day, the context_date partition (TIMEZONE)."
  type        = string
  default     = "America/Sao_Paulo"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", var.timezone))
    error_message = "timezone must be an IANA time zone name such as America/Sao_Paulo or UTC."
  }
}

variable "allowed_chat_ids" {
  description = "Chat ids whose updates are stored (ALLOWED_CHAT_IDS), e.g. [\"-1001234567890\"]; [\"*\"] stores every chat's updates."
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
    error_message = "allowed_chat_ids must be integer chat ids (groups and channels are negative, e.g. \"-1001234567890\"), or exactly [\"*\"]."
  }
}

variable "webhook_secret_rotation_overlap_seconds" {
  description = "After `telegram-datalake webhook rotate-secret`, how long the function still accepts the previous secret token (WEBHOOK_SECRET_OVERLAP_SECONDS), so that no delivery already under way with it is refused."
  type        = number
  default     = 300

  validation {
    condition     = var.webhook_secret_rotation_overlap_seconds >= 0 && var.webhook_secret_rotation_overlap_seconds <= 86400 && floor(var.webhook_secret_rotation_overlap_seconds) == var.webhook_secret_rotation_overlap_seconds
    error_message = "webhook_secret_rotation_overlap_seconds must be a whole number of seconds from 0 to 86400."
  }
}

variable "webhook_secret_recovery_window_days" {
  description = "Days Secrets Manager keeps the webhook secret after `terraform destroy` before deleting it (7 to 30), or 0 to delete it at once, so that a destroy and a new apply can reuse the name. The token is easy to replace: `telegram-datalake webhook set` writes a new one."
  type        = number
  default     = 0

  validation {
    condition     = var.webhook_secret_recovery_window_days == 0 || (var.webhook_secret_recovery_window_days >= 7 && var.webhook_secret_recovery_window_days <= 30 && floor(var.webhook_secret_recovery_window_days) == var.webhook_secret_recovery_window_days)
    error_message = "webhook_secret_recovery_window_days must be 0 or a whole number from 7 to 30."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy set as the permissions boundary of the function's role."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/...)."
  }
}

variable "log_retention_days" {
  description = "Days the function's logs and the API's access logs are kept (0: forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for the function's environment variables, its log groups, the webhook secret and SSE-KMS writes to the raw bucket. null: AWS managed encryption. The key policy must allow CloudWatch Logs (logs.<region>.amazonaws.com)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "throttling_burst_limit" {
  description = "Burst limit (requests) of the webhook route. Telegram opens at most 40 connections by default (setWebhook max_connections)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number from 1 to 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state rate limit (requests per second) of the webhook route."
  type        = number
  default     = 25

  validation {
    condition     = var.throttling_rate_limit > 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be more than 0 and at most 10000 requests per second."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

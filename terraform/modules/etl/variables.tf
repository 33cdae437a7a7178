variable "name" {
  description = "Name of the ETL function; also names its layer, IAM roles, schedule, dead-letter queue and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,54}$", var.name))
    error_message = "name must be 1 to 54 letters, digits, hyphens or underscores (the scheduler role adds a 10-character suffix; IAM allows 64)."
  }
}

variable "package_path" {
  description = "Path of the function's deployment package (dist/etl.zip, built by `make build`)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must be the path of a .zip file."
  }
}

variable "layer_package_path" {
  description = "Path of the pyarrow Lambda layer package (dist/pyarrow-layer.zip, built by `make build`). It is uploaded to the artifacts bucket, being too large for a direct upload."
  type        = string

  validation {
    condition     = endswith(var.layer_package_path, ".zip")
    error_message = "layer_package_path must be the path of a .zip file."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the (versioned) bucket the layer package is uploaded to."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be a valid S3 bucket name."
  }
}

variable "architecture" {
  description = "Instruction set of the function and its layer: arm64 (cheaper per GB-second) or x86_64. The layer must be built for the same one."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU and network scale with it)."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function in seconds (10 to 900). Every S3 call is bounded to end within a quarter of it (at most 120 s), and no call starts that might end after it: the run then fails naming the day it stopped at."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout >= 10 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 10 (the least that leaves time for an S3 call) to 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function; 1 keeps runs from overlapping (overlapping runs of a day write the same bytes, so they are harmless). null: unreserved, the only value a new account accepts (AWS keeps 10 executions unreserved, and a new account's quota is often 10)."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions, false)
    error_message = "reserved_concurrent_executions must be null (unreserved) or a whole number of 1 or more."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy set as the permissions boundary of the function's and the scheduler's roles."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/...)."
  }
}

variable "raw_bucket_name" {
  description = "Name of the bucket with the raw updates (RAW_BUCKET)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_name))
    error_message = "raw_bucket_name must be a valid S3 bucket name."
  }
}

variable "raw_bucket_arn" {
  description = "ARN of the raw bucket; the function may only list and read under <raw_prefix>/."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_arn))
    error_message = "raw_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "enriched_bucket_name" {
  description = "Name of the bucket the Parquet files are written to (ENRICHED_BUCKET)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.enriched_bucket_name))
    error_message = "enriched_bucket_name must be a valid S3 bucket name."
  }
}

variable "enriched_bucket_arn" {
  description = "ARN of the enriched bucket; the function may only list, put and delete objects under <enriched_prefix>/ and each <table_prefixes>/."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.enriched_bucket_arn))
    error_message = "enriched_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "raw_prefix" {
  description = "Key prefix of the raw updates (RAW_PREFIX), without leading or trailing slash."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.raw_prefix))
    error_message = "raw_prefix must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }
}

variable "enriched_prefix" {
  description = "Key prefix of the messages table's Parquet files (ENRICHED_PREFIX), without leading or trailing slash; neither one of table_prefixes nor under one."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.enriched_prefix))
    error_message = "enriched_prefix must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }

  validation {
    condition     = alltrue([for prefix in var.table_prefixes : var.enriched_prefix != prefix && !startswith(var.enriched_prefix, "${prefix}/")])
    error_message = "enriched_prefix must not be one of table_prefixes (${join(", ", var.table_prefixes)}) or under one: the function writes that table there."
  }
}

variable "table_prefixes" {
  description = "Key prefixes of the tables the function writes besides the messages one, which are their names, fixed in its code: <table>/context_date=YYYY-MM-DD/<table>.parquet in the enriched bucket. The function may list, put and delete under these and enriched_prefix only. The root passes the names of sql/tables/*.json but telegram.json."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for prefix in var.table_prefixes : can(regex("^[a-z][a-z0-9_]*$", prefix))]) && length(distinct(var.table_prefixes)) == length(var.table_prefixes)
    error_message = "table_prefixes must be distinct table names: lowercase letters, digits and underscores, starting with a letter (no slash: each is one top-level prefix)."
  }
}

variable "timezone" {
  description = "IANA time zone that defines the day (TIMEZONE), and the one the schedule expression is read in."
  type        = string
  default     = "America/Sao_Paulo"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", var.timezone))
    error_message = "timezone must be an IANA time zone name such as America/Sao_Paulo or UTC."
  }
}

variable "max_workers" {
  description = "Concurrent S3 reads of the function (MAX_WORKERS)."
  type        = number
  default     = 32

  validation {
    condition     = var.max_workers >= 1 && var.max_workers <= 256 && floor(var.max_workers) == var.max_workers
    error_message = "max_workers must be a whole number from 1 to 256."
  }
}

variable "log_retention_days" {
  description = "Days the function's logs are kept (0: forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for the function's environment variables, log group, dead-letter queue, schedule and layer object, and for SSE-KMS reads and writes in the buckets. null: AWS managed encryption. The key policy must allow CloudWatch Logs (logs.<region>.amazonaws.com)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "pseudonym_key_parameter_name" {
  description = "Name of the SSM SecureString holding the pseudonym key (e.g. /<name_prefix>/pseudonym-key), written out of band by `telegram-datalake pseudonym-key init`: set, the function writes every user id as HMAC-SHA256 of it with that key and no names (PSEUDONYM_KEY_PARAMETER), and may read that parameter (ssm:GetParameter; kms_key_arn's Decrypt when the key encrypts it). null: user ids and names are written as they are. Changing it changes nothing already written: rebuild the days with backfill."
  type        = string
  default     = null

  validation {
    condition     = var.pseudonym_key_parameter_name == null || (can(regex("^(/[A-Za-z0-9_.-]+){1,15}$", var.pseudonym_key_parameter_name)) && try(length(var.pseudonym_key_parameter_name) <= 1011, false))
    error_message = "pseudonym_key_parameter_name must be an SSM parameter path: /, then 1 to 15 levels of letters, digits and ._- separated by / (at most 1011 characters), or null."
  }

  validation {
    condition     = var.pseudonym_key_parameter_name == null || !can(regex("^/(?i:aws|ssm)", var.pseudonym_key_parameter_name))
    error_message = "pseudonym_key_parameter_name must not start with /aws or /ssm, whatever the case: SSM reserves those names."
  }
}

variable "schedule_expression" {
  description = "When the daily run starts, read in var.timezone: cron(...), rate(...) or at(...). The default, 00:30 every day, processes the day that just ended."
  type        = string
  default     = "cron(30 0 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be an EventBridge Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "schedule_maximum_retry_attempts" {
  description = "Retries of the scheduler when it cannot hand the event to Lambda (e.g. throttled API calls); the run itself is retried by Lambda (maximum_retry_attempts)."
  type        = number
  default     = 5

  validation {
    condition     = var.schedule_maximum_retry_attempts >= 0 && var.schedule_maximum_retry_attempts <= 185 && floor(var.schedule_maximum_retry_attempts) == var.schedule_maximum_retry_attempts
    error_message = "schedule_maximum_retry_attempts must be a whole number from 0 to 185."
  }
}

variable "schedule_maximum_event_age_in_seconds" {
  description = "How long the scheduler keeps retrying an undelivered event before sending it to the dead-letter queue."
  type        = number
  default     = 3600

  validation {
    condition     = var.schedule_maximum_event_age_in_seconds >= 60 && var.schedule_maximum_event_age_in_seconds <= 86400 && floor(var.schedule_maximum_event_age_in_seconds) == var.schedule_maximum_event_age_in_seconds
    error_message = "schedule_maximum_event_age_in_seconds must be a whole number from 60 to 86400."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed run by Lambda (asynchronous invocation) before it goes to the dead-letter queue. Safe: a rerun rewrites the same files."
  type        = number
  default     = 2

  validation {
    condition     = contains([0, 1, 2], var.maximum_retry_attempts)
    error_message = "maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "How long Lambda keeps a queued run (e.g. throttled by the reserved concurrency) before sending it to the dead-letter queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 21600 && floor(var.maximum_event_age_in_seconds) == var.maximum_event_age_in_seconds
    error_message = "maximum_event_age_in_seconds must be a whole number from 60 to 21600."
  }
}

variable "dead_letter_message_retention_seconds" {
  description = "How long failed runs are kept in the dead-letter queue."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dead_letter_message_retention_seconds >= 60 && var.dead_letter_message_retention_seconds <= 1209600 && floor(var.dead_letter_message_retention_seconds) == var.dead_letter_message_retention_seconds
    error_message = "dead_letter_message_retention_seconds must be a whole number from 60 to 1209600 (14 days)."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

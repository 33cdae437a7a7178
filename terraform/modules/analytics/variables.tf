variable "database_name" {
  description = "Name of the Glue catalog database (Athena wants lowercase letters, digits and underscores)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be 1 to 255 lowercase letters, digits or underscores."
  }
}

variable "table_name" {
  description = "Glue name of the messages table, the telegram entry of tables, whose files are under enriched_prefix."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.table_name))
    error_message = "table_name must be 1 to 255 lowercase letters, digits or underscores."
  }

  validation {
    condition     = var.table_name == "telegram" || !contains(keys(var.tables), var.table_name)
    error_message = "table_name must not be the name of another table of var.tables."
  }
}

variable "tables" {
  description = "Every table by name, as the root reads them from sql/tables/<name>.json: its name again (table), a description (the Glue table's is its first sentence), its columns in Parquet order (name, Hive/Athena type, comment) and its partition keys. telegram, the messages table, is named table_name and kept under enriched_prefix; every other table is named after its key and kept under <key>/ of the bucket. Each has exactly one partition key, context_date, projected as a date (yyyy-MM-dd) as the ETL writes it."
  type = map(object({
    table       = string
    description = string
    columns = list(object({
      name    = string
      type    = string
      comment = string
    }))
    partition_keys = list(object({
      name    = string
      type    = string
      comment = string
    }))
  }))

  validation {
    condition     = contains(keys(var.tables), "telegram")
    error_message = "tables must hold the messages table, telegram."
  }

  validation {
    condition     = alltrue([for key, table in var.tables : can(regex("^[a-z][a-z0-9_]{0,254}$", key)) && table.table == key])
    error_message = "Every table's key must be its name (table), 1 to 255 lowercase letters, digits and underscores, starting with a letter: it is the Glue name and the key prefix."
  }

  validation {
    condition     = alltrue([for table in values(var.tables) : length(table.columns) > 0])
    error_message = "Every table must list at least one column."
  }

  validation {
    condition     = alltrue(flatten([for table in values(var.tables) : [for column in table.columns : can(regex("^[a-z_][a-z0-9_]*$", column.name))]]))
    error_message = "Every column name must be lowercase letters, digits and underscores, not starting with a digit."
  }

  validation {
    condition     = alltrue([for table in values(var.tables) : length(distinct([for column in table.columns : column.name])) == length(table.columns)])
    error_message = "Column names must be unique within a table."
  }

  validation {
    condition     = alltrue([for table in values(var.tables) : length(table.partition_keys) == 1 && try(table.partition_keys[0].name == "context_date", false)])
    error_message = "Every table's partition_keys must hold exactly one key, context_date: the partition the ETL writes (context_date=YYYY-MM-DD) and the table projects."
  }
}

variable "enriched_bucket_name" {
  description = "Name of the bucket with the Parquet files."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.enriched_bucket_name))
    error_message = "enriched_bucket_name must be a valid S3 bucket name."
  }
}

variable "enriched_prefix" {
  description = "Key prefix of the messages table's Parquet files, without leading or trailing slash: the table is s3://<bucket>/<prefix>/. Neither another table's prefix (its name) nor under one."
  type        = string
  default     = "telegram"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.enriched_prefix))
    error_message = "enriched_prefix must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }

  validation {
    condition     = alltrue([for name in keys(var.tables) : name == "telegram" || (var.enriched_prefix != name && !startswith(var.enriched_prefix, "${name}/"))])
    error_message = "enriched_prefix must not be another table's prefix (${join(", ", [for name in sort(keys(var.tables)) : name if name != "telegram"])}) or under one: that table's files would be read as messages."
  }
}

variable "projection_start_date" {
  description = "First day (YYYY-MM-DD) of the partition projection range; the range ends at NOW. Days before it are invisible to queries."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", var.projection_start_date)) && can(formatdate("YYYY-MM-DD", "${var.projection_start_date}T00:00:00Z"))
    error_message = "projection_start_date must be a date as YYYY-MM-DD, e.g. 2025-01-01."
  }
}

variable "timezone" {
  description = "IANA time zone the saved queries render local times in (their timezone template variable)."
  type        = string
  default     = "America/Sao_Paulo"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", var.timezone))
    error_message = "timezone must be an IANA time zone name such as America/Sao_Paulo or UTC."
  }
}

variable "workgroup_name" {
  description = "Name of the Athena workgroup."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.workgroup_name))
    error_message = "workgroup_name must be 1 to 128 letters, digits, '.', '_' or '-'."
  }
}

variable "athena_results_bucket_name" {
  description = "Name of the bucket Athena writes query results to (under results/)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.athena_results_bucket_name))
    error_message = "athena_results_bucket_name must be a valid S3 bucket name."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Bytes a query may scan before Athena cancels it (cost guard); at least 10 MB."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB)."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key to encrypt query results with (SSE_KMS). null: SSE_S3."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the workgroup with its saved queries and query history."
  type        = bool
  default     = false
}

variable "sql_dir" {
  description = "Folder with create_table.sql.tftpl (a table's DDL; template variables database, table, columns, partition_keys, location, projection_start) and the *.sql saved queries (template variables database, table: the messages table's Glue name, timezone)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of the module that takes tags (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

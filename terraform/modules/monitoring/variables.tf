variable "name_prefix" {
  description = "Prefix of the alarm and topic names."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name_prefix))
    error_message = "name_prefix must be 1 to 200 letters, digits, hyphens or underscores."
  }
}

variable "alarm_email" {
  description = "E-mail address that receives the alarms (creates the SNS topic; AWS sends a confirmation link first). null: no e-mail."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address, or null."
  }
}

variable "create_sns_topic" {
  description = "Create the alarm SNS topic even without alarm_email (to subscribe other endpoints to it later)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for the SNS topic. Its key policy must let cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey*), or alarms cannot publish. null: the topic is not encrypted (the AWS managed alias/aws/sns key cannot be used, as CloudWatch alarms cannot publish to topics encrypted with it)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "alarm_actions" {
  description = "More ARNs (SNS topics, ...) notified when an alarm fires and when it recovers, besides the module's topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_actions : can(regex("^arn:aws[a-z-]*:", arn))])
    error_message = "Every alarm_actions entry must be an ARN."
  }
}

variable "ingest_function_name" {
  description = "Name of the ingest Lambda function (alarm on its Errors)."
  type        = string
}

variable "etl_function_name" {
  description = "Name of the ETL Lambda function (alarm on its Errors)."
  type        = string
}

variable "etl_dead_letter_queue_name" {
  description = "Name of the ETL dead-letter queue (alarm when it holds a message)."
  type        = string
}

variable "ingest_log_group_name" {
  description = "Name of the ingest function's log group: its JSON line per request (outcome \"stored\") counts the stored updates."
  type        = string

  validation {
    condition     = can(regex("^[.\\-_/#A-Za-z0-9]{1,512}$", var.ingest_log_group_name))
    error_message = "ingest_log_group_name must be a CloudWatch Logs log group name."
  }
}

variable "api_id" {
  description = "Id of the webhook's HTTP API (alarm on its 5xx responses)."
  type        = string
}

variable "api_stage_name" {
  description = "Stage of the HTTP API the 5xx alarm watches."
  type        = string
  default     = "$default"
}

variable "period_seconds" {
  description = "Length of each alarm datapoint (errors and 5xx are summed over it, queue depth is its maximum); one datapoint at 1 or more fires the alarm."
  type        = number
  default     = 300

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds <= 86400 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be a multiple of 60 from 60 to 86400."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "api_4xx_threshold" {
  description = "4xx answers of the webhook within period_seconds that fire the api_4xx alarm. A wrong or rotated secret token refuses every update with 401, and Telegram retries each one, so a handful in five minutes is already a sign."
  type        = number
  default     = 5

  validation {
    condition     = var.api_4xx_threshold >= 1 && floor(var.api_4xx_threshold) == var.api_4xx_threshold
    error_message = "api_4xx_threshold must be a whole number, 1 or more."
  }
}

variable "no_update_alarm_hours" {
  description = "Hours without a single stored update after which the no_updates_stored alarm fires (1 to 168, CloudWatch's 7-day limit). Set it above the longest quiet spell your group has."
  type        = number
  default     = 24

  validation {
    condition     = var.no_update_alarm_hours >= 1 && var.no_update_alarm_hours <= 168 && floor(var.no_update_alarm_hours) == var.no_update_alarm_hours
    error_message = "no_update_alarm_hours must be a whole number of hours from 1 to 168."
  }
}

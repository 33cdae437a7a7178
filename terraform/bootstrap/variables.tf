variable "github_repository" {
  description = "The GitHub repository that deploys, as owner/name exactly as GitHub spells it (the OIDC subject claim is compared case-sensitively), e.g. octo-org/telegram-datalake."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository)) && !endswith(var.github_repository, "/.") && !endswith(var.github_repository, "/..")
    error_message = "github_repository must be owner/name, e.g. octo-org/telegram-datalake."
  }
}

variable "aws_region" {
  description = "AWS Region of the state bucket and of the deployment (the main configuration's aws_region): the apply role's permissions are limited to it."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.aws_region))
    error_message = "aws_region must be an AWS Region code such as us-east-1, eu-west-2 or sa-east-1."
  }
}

variable "name_prefix" {
  description = "The main deployment's name_prefix: the apply role may manage only resources named with it (<name_prefix>-...), and the roles are named after it."
  type        = string
  default     = "telegram-datalake"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3 to 20 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket for the deployment's Terraform state. null: <name_prefix>-tfstate-<account id>. It must not look like a pipeline bucket (<name_prefix>-<purpose>-<account id>-<region>), which the apply role may reconfigure and delete."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "state_key" {
  description = "Key of the deployment's state object in the state bucket; the lock file is <state_key>.tflock."
  type        = string
  default     = "telegram-datalake/terraform.tfstate"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.state_key))
    error_message = "state_key must be one or more path segments of letters, digits, '_', '.' or '-', separated by single slashes, with no leading or trailing slash."
  }
}

variable "state_kms_key_arn" {
  description = "ARN of a customer managed KMS key (same Region) to encrypt the state bucket with (SSE-KMS with a bucket key); both roles get Decrypt and GenerateDataKey on it. null: SSE-S3."
  type        = string
  default     = null

  validation {
    condition     = var.state_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.state_kms_key_arn))
    error_message = "state_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "state_noncurrent_version_expiration_days" {
  description = "Days superseded versions of the state (every apply writes one) are kept, to roll back a broken state."
  type        = number
  default     = 90

  validation {
    condition     = var.state_noncurrent_version_expiration_days >= 1 && floor(var.state_noncurrent_version_expiration_days) == var.state_noncurrent_version_expiration_days
    error_message = "state_noncurrent_version_expiration_days must be a whole number of days, 1 or more."
  }
}

variable "kms_key_arn" {
  description = "The main deployment's kms_key_arn, if it sets one: the apply role may then use that key to encrypt the functions, layer, logs, queue and topic. null: none."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's existing IAM OIDC provider for https://token.actions.githubusercontent.com (an account has at most one per URL; its client ids must include sts.amazonaws.com). null: this module creates it."
  type        = string
  default     = null

  validation {
    condition     = var.github_oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.github_oidc_provider_arn))
    error_message = "github_oidc_provider_arn must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com, or null."
  }
}

variable "tags" {
  description = "Tags added to every resource through the provider's default_tags (besides Project, ManagedBy and Component, which they may override)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.tags : length(key) >= 1 && length(key) <= 128 && length(value) >= 1 && length(value) <= 256 && !startswith(lower(key), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with aws:; values 1 to 256 characters (an empty value makes the provider re-read tags after every change, which the CI roles may not)."
  }
}

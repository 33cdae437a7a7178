variable "name_prefix" {
  description = "The deployment's name_prefix: every resource terraform/ creates is named after it, and these policies cover those names only."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3 to 20 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "region" {
  description = "The deployment's AWS Region: the policies cover resources in it only."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS Region code such as us-east-1."
  }
}

variable "account_id" {
  description = "The deployment's AWS account id."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "partition" {
  description = "The AWS partition of the account: aws, aws-cn or aws-us-gov."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"], var.partition)
    error_message = "partition must be an AWS partition name such as aws, aws-cn or aws-us-gov."
  }
}

variable "kms_key_arn" {
  description = "The deployment's kms_key_arn, if it sets one: the pipeline's roles may then encrypt and decrypt with it, and the apply role may let services use it. null: none."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "boundary_policy_name" {
  description = "Name of the managed policy that is the permissions boundary of every role terraform/ creates (whoever creates that policy)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.boundary_policy_name))
    error_message = "boundary_policy_name must be 1 to 128 characters of letters, digits and +=,.@_-."
  }
}

variable "boundary_policy_path" {
  description = "IAM path of the boundary policy, starting and ending with /."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([!-.0-~]+/)*$", var.boundary_policy_path)) && length(var.boundary_policy_path) <= 512
    error_message = "boundary_policy_path must start and end with / (e.g. / or /github-actions/)."
  }
}

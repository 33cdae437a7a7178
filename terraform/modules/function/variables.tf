variable "name" {
  description = "Name of the function; its role is <name>-role, its inline policy <name>-access and its log group /aws/lambda/<name>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,59}$", var.name))
    error_message = "name must be 1 to 59 letters, digits, hyphens or underscores (IAM allows 64 characters in a role name; the role adds \"-role\")."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters (Lambda's limit)."
  }
}

variable "package_path" {
  description = "Path of the deployment package, a .zip built by `make build`."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must be the path of a .zip file."
  }
}

variable "handler" {
  description = "Python handler, module.path.function (e.g. functions.ingest.handler.lambda_handler)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler must be a dotted Python path ending in the function's name."
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
  description = "Memory of the function in MB (CPU and network scale with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function in seconds."
  type        = number
  default     = 15

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "layers" {
  description = "ARNs (with version) of the Lambda layers the function uses."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.layers : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", arn))])
    error_message = "Every layer must be a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function. null: unreserved, the only value a new account accepts (AWS keeps 10 executions unreserved, and a new account's quota is often 10)."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions, false)
    error_message = "reserved_concurrent_executions must be null (unreserved) or a whole number of 1 or more."
  }
}

variable "environment_variables" {
  description = "The function's environment: names and ids only. Never a secret: anyone who may read the function's configuration reads them. The module adds FUNCTION_TIMEOUT_SECONDS (the timeout), from which the code bounds its AWS calls."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.environment_variables), "FUNCTION_TIMEOUT_SECONDS")
    error_message = "FUNCTION_TIMEOUT_SECONDS is set by the module from timeout: set timeout instead."
  }
}

variable "policy_json" {
  description = "IAM policy (JSON) with what the function may do besides writing its own logs, which the module adds."
  type        = string

  validation {
    condition     = can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be an IAM policy document in JSON, with a Statement list."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy set as the execution role's permissions boundary: the most the role may ever do, whatever its inline policy says."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/...)."
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
  description = "ARN of a customer managed KMS key for the function's environment variables and its log group. null: AWS managed encryption. The key policy must allow CloudWatch Logs (logs.<region>.amazonaws.com)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# The daily ETL: EventBridge Scheduler -> ETL Lambda (pyarrow layer) -> one Parquet file per table per day.
# Failed runs (after Lambda's retries) and undeliverable schedule events land in an SQS queue.
#
# Pseudonymised analytics (pseudonym_key_parameter_name set): the function hashes every user id with a key
# it reads from that SSM SecureString. Terraform manages nothing in SSM: `telegram-datalake pseudonym-key
# init` writes the key, so it is never in the state, a plan, an output or the function's environment (which
# holds the parameter's name only), and a role that may only refresh the deployment cannot read it.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id       = data.aws_caller_identity.current.account_id
  layer_object_key = "lambda-layers/${var.name}/pyarrow-layer.zip"
  schedule_name    = "${var.name}-daily"
  # What EventBridge Scheduler presents as aws:SourceArn when it assumes a schedule's role: the ARN of the
  # schedule's group (the schedule is in the account's default group).
  schedule_group_arn = "arn:${data.aws_partition.current.partition}:scheduler:${data.aws_region.current.region}:${local.account_id}:schedule-group/default"
  # Where the function writes in the enriched bucket: the messages table's prefix, then each other table's.
  parquet_prefixes = concat([var.enriched_prefix], var.table_prefixes)
  # The pseudonym key's parameter (its name starts with a slash, which the ARN's "parameter" then ends with).
  pseudonym_key_parameter_arn = var.pseudonym_key_parameter_name == null ? null : "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.region}:${local.account_id}:parameter${var.pseudonym_key_parameter_name}"
  # The function's environment: always these; PSEUDONYM_KEY_PARAMETER only when the tables are
  # pseudonymised (unset, the function writes user ids and names).
  function_environment = {
    RAW_BUCKET      = var.raw_bucket_name
    ENRICHED_BUCKET = var.enriched_bucket_name
    TIMEZONE        = var.timezone
    RAW_PREFIX      = var.raw_prefix
    ENRICHED_PREFIX = var.enriched_prefix
    MAX_WORKERS     = tostring(var.max_workers)
  }
  pseudonym_environment = var.pseudonym_key_parameter_name == null ? {} : { PSEUDONYM_KEY_PARAMETER = var.pseudonym_key_parameter_name }
}

################################################################################
# Layer: uploaded to the artifacts bucket (too large for a direct upload)
################################################################################

resource "aws_s3_object" "layer" {
  bucket       = var.artifacts_bucket_name
  key          = local.layer_object_key
  source       = var.layer_package_path
  source_hash  = filemd5(var.layer_package_path)
  content_type = "application/zip"
  kms_key_id   = var.kms_key_arn

  tags = var.tags
}

resource "aws_lambda_layer_version" "pyarrow" {
  layer_name  = "${var.name}-pyarrow"
  description = "pyarrow for the ${var.name} function"

  s3_bucket         = aws_s3_object.layer.bucket
  s3_key            = aws_s3_object.layer.key
  s3_object_version = aws_s3_object.layer.version_id
  source_code_hash  = filebase64sha256(var.layer_package_path)

  compatible_runtimes      = ["python3.13"]
  compatible_architectures = [var.architecture]
}

################################################################################
# Dead-letter queue
################################################################################

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = var.dead_letter_message_retention_seconds
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Lambda function
################################################################################

# Only: list and read the raw prefix, list, put and delete under the tables' prefixes (enriched_prefix and
# table_prefixes, each exactly), send failed runs to the dead-letter queue, read the pseudonym key's
# parameter when there is one (plus the KMS key, if any: it also decrypts a key encrypted with it). The
# function module adds its own log group. Deleting and listing: a rebuild of a day without rows removes the
# file an earlier run wrote (listing first, so that a day that never had one gets no delete marker).
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ListRawUpdates"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.raw_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.raw_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadRawUpdates"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${var.raw_bucket_arn}/${var.raw_prefix}/*"]
  }

  statement {
    sid       = "ListParquet"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.enriched_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in local.parquet_prefixes : "${prefix}/*"]
    }
  }

  statement {
    sid       = "WriteParquet"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [for prefix in local.parquet_prefixes : "${var.enriched_bucket_arn}/${prefix}/*"]
  }

  statement {
    sid       = "SendFailedRuns"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }

  dynamic "statement" {
    for_each = var.pseudonym_key_parameter_name == null ? [] : [var.pseudonym_key_parameter_name]

    content {
      sid       = "ReadPseudonymKey"
      effect    = "Allow"
      actions   = ["ssm:GetParameter"]
      resources = [local.pseudonym_key_parameter_arn]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseDataKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

module "function" {
  source = "../function"

  name                           = var.name
  description                    = "Turns a day of raw Telegram updates into one Parquet file per table"
  package_path                   = var.package_path
  handler                        = "functions.etl.handler.lambda_handler"
  architecture                   = var.architecture
  layers                         = [aws_lambda_layer_version.pyarrow.arn]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  policy_json                    = data.aws_iam_policy_document.function.json
  permissions_boundary_arn       = var.permissions_boundary_arn
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment_variables = merge(local.function_environment, local.pseudonym_environment)
}

# Asynchronous runs: Lambda retries, then records the failure in the dead-letter queue.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = module.function.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dead_letter.arn
    }
  }
}

################################################################################
# Daily schedule
################################################################################

# Trusted by EventBridge Scheduler of this account (aws:SourceAccount), for schedules of the group the
# daily schedule is in (aws:SourceArn): no other account's, or other group's, schedule can borrow the role.
data "aws_iam_policy_document" "scheduler_assume_role" {
  statement {
    sid     = "SchedulerAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.schedule_group_arn]
    }
  }
}

# Only: invoke this function, and send undeliverable events to the dead-letter queue.
data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeEtl"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.function.function_arn, "${module.function.function_arn}:*"]
  }

  statement {
    sid       = "SendUndeliveredEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseDataKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name                 = "${var.name}-scheduler"
  description          = "Role EventBridge Scheduler uses to start the ${var.name} function"
  assume_role_policy   = data.aws_iam_policy_document.scheduler_assume_role.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name}-scheduler-access"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

# An event without dates: the function processes yesterday in var.timezone.
resource "aws_scheduler_schedule" "daily" {
  name                         = local.schedule_name
  description                  = "Daily run of ${var.name}: yesterday's updates to Parquet"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  kms_key_arn                  = var.kms_key_arn
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = module.function.function_arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ source = "telegram-datalake.schedule" })

    retry_policy {
      maximum_retry_attempts       = var.schedule_maximum_retry_attempts
      maximum_event_age_in_seconds = var.schedule_maximum_event_age_in_seconds
    }

    dead_letter_config {
      arn = aws_sqs_queue.dead_letter.arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}

# The function's resources moved into modules/function: the same objects, not new ones.
moved {
  from = aws_cloudwatch_log_group.function
  to   = module.function.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.function
  to   = module.function.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.function
  to   = module.function.aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this
  to   = module.function.aws_lambda_function.this
}

# One Lambda function with what every function of the pipeline needs: its log group (created first,
# with a retention), an execution role that carries the permissions boundary, and one inline policy:
# the caller's statements plus writing to its own log group. The ingest and ETL modules both use it,
# so a role without the boundary, or a function without its log group, cannot be written twice.

locals {
  log_group_name = "/aws/lambda/${var.name}"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags

  lifecycle {
    # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days), kept short for cost; set 365 or more where required.
  }
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# The caller's statements, and writing to the function's own log group: nothing else.
data "aws_iam_policy_document" "this" {
  source_policy_documents = [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-role"
  description          = "Execution role of the ${var.name} Lambda function"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# FUNCTION_TIMEOUT_SECONDS: the code sizes its AWS calls' timeouts and retries from it, so that they end
# before Lambda's timeout. One setting, var.timeout, for both.
resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn

  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = var.handler
  runtime          = "python3.13"
  architectures    = [var.architecture]
  layers           = var.layers
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = merge(var.environment_variables, { FUNCTION_TIMEOUT_SECONDS = tostring(var.timeout) })
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]

  lifecycle {
    # checkov:skip=CKV_AWS_116:A DLQ would receive nothing new: the webhook is invoked synchronously (Telegram re-delivers), and the ETL's asynchronous failures reach its on-failure destination, an SQS queue.
    # checkov:skip=CKV_AWS_115:Reserved concurrency is optional (reserved_concurrent_executions): a new account's quota of 10 leaves none to reserve, and AWS refuses the reservation.
    # checkov:skip=CKV_AWS_117:Outside a VPC on purpose: the functions only call AWS APIs over TLS with IAM auth; a VPC would need endpoints or NAT.
    # checkov:skip=CKV_AWS_272:Code signing is not configured; packages are built and deployed by this project's own pipeline.
    # checkov:skip=CKV_AWS_50:X-Ray tracing is not configured; each invocation logs one JSON line with its outcome and duration.
  }
}

# The webhook: API Gateway HTTP API (POST /webhook) -> ingest Lambda -> raw bucket.
# Telegram authenticates with the secret token header, which the function checks.

locals {
  webhook_secret_token = var.webhook_secret_token != null ? var.webhook_secret_token : random_password.webhook_secret_token[0].result
  function_log_group   = "/aws/lambda/${var.name}"
}

# Telegram allows only A-Z, a-z, 0-9, '_' and '-' in a secret token, up to 256 characters.
resource "random_password" "webhook_secret_token" {
  count = var.webhook_secret_token == null ? 1 : 0

  length           = 64
  special          = true
  override_special = "_-"
}

################################################################################
# Lambda function
################################################################################

resource "aws_cloudwatch_log_group" "function" {
  name              = local.function_log_group
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

# Only: put objects under the raw prefix, and write to its own log group (plus the KMS key, if any).
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "PutRawUpdates"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${var.raw_bucket_arn}/${var.raw_prefix}/*"]
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "EncryptRawUpdates"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-role"
  description        = "Execution role of the ${var.name} Lambda function"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  tags = var.tags
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.name}-access"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = "Stores each Telegram webhook update of an allowed chat as JSON in S3"
  role          = aws_iam_role.function.arn

  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = "functions.ingest.handler.lambda_handler"
  runtime          = "python3.13"
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = {
      RAW_BUCKET           = var.raw_bucket_name
      WEBHOOK_SECRET_TOKEN = local.webhook_secret_token
      ALLOWED_CHAT_IDS     = join(",", var.allowed_chat_ids)
      TIMEZONE             = var.timezone
      RAW_PREFIX           = var.raw_prefix
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
  ]

  lifecycle {
    # checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway, so a DLQ never receives anything; Telegram re-delivers failed updates.
    # checkov:skip=CKV_AWS_115:No reserved concurrency: a new account's quota (10) leaves none to reserve; the API's throttling bounds concurrency.
    # checkov:skip=CKV_AWS_117:Outside a VPC on purpose: the function only calls S3 over TLS with IAM auth; a VPC would need endpoints or NAT.
    # checkov:skip=CKV_AWS_272:Code signing is not configured; packages are built and deployed by this project's own pipeline.
    # checkov:skip=CKV_AWS_50:X-Ray tracing is not configured; each invocation logs one JSON line with its outcome and duration.
  }
}

################################################################################
# HTTP API
################################################################################

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = "Telegram webhook: POST /webhook"
  protocol_type = "HTTP"

  tags = var.tags
}

resource "aws_apigatewayv2_integration" "function" {
  api_id                 = aws_apigatewayv2_api.this.id
  description            = "The ${var.name} Lambda function"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "webhook" {
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "POST /webhook"
  target    = "integrations/${aws_apigatewayv2_integration.function.id}"

  lifecycle {
    # checkov:skip=CKV_AWS_309:Telegram webhooks authenticate with the X-Telegram-Bot-Api-Secret-Token header, which the function checks (401 otherwise).
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags

  lifecycle {
    # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (default 30 days), kept short for cost; set 365 or more where required.
  }
}

# Access logs: one JSON line per request, never headers (the secret token) or bodies (messages).
resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId               = "$context.requestId"
      ip                      = "$context.identity.sourceIp"
      requestTime             = "$context.requestTime"
      routeKey                = "$context.routeKey"
      status                  = "$context.status"
      responseLength          = "$context.responseLength"
      integrationErrorMessage = "$context.integrationErrorMessage"
    })
  }

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  tags = var.tags
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromWebhookRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/POST/webhook"
}

# The webhook: API Gateway HTTP API (POST /webhook) -> ingest Lambda -> raw bucket.
# Telegram authenticates with the secret token header, which the function checks against the secret
# in Secrets Manager. Terraform creates the secret's container only: the value is written by
# `telegram-datalake webhook set` (or `rotate-secret`), so it is never in the state, the plan, an
# output or the function's environment, and a role that may only refresh the deployment cannot read it.

################################################################################
# Webhook secret
################################################################################

resource "aws_secretsmanager_secret" "webhook" {
  name                    = "${var.name}-webhook-secret"
  description             = "Secret token Telegram sends with each update to ${var.name} (X-Telegram-Bot-Api-Secret-Token); written by telegram-datalake webhook set / rotate-secret"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.webhook_secret_recovery_window_days

  tags = var.tags

  lifecycle {
    # checkov:skip=CKV2_AWS_57:Rotation must also tell Telegram the new token (setWebhook, with the bot token), so it is `telegram-datalake webhook rotate-secret`, not a rotation Lambda.
    # checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key by default; kms_key_arn switches to a customer managed key.
  }
}

################################################################################
# Lambda function
################################################################################

# Only: put objects under the raw prefix and read the webhook secret (plus the KMS key, if any).
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "PutRawUpdates"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${var.raw_bucket_arn}/${var.raw_prefix}/*"]
  }

  statement {
    sid       = "ReadWebhookSecret"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.webhook.arn]
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

  name                     = var.name
  description              = "Stores each Telegram webhook update of an allowed chat as JSON in S3"
  package_path             = var.package_path
  handler                  = "functions.ingest.handler.lambda_handler"
  architecture             = var.architecture
  memory_size              = var.memory_size
  timeout                  = var.timeout
  policy_json              = data.aws_iam_policy_document.function.json
  permissions_boundary_arn = var.permissions_boundary_arn
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags

  environment_variables = {
    RAW_BUCKET                     = var.raw_bucket_name
    RAW_PREFIX                     = var.raw_prefix
    ALLOWED_CHAT_IDS               = join(",", var.allowed_chat_ids)
    TIMEZONE                       = var.timezone
    WEBHOOK_SECRET_ARN             = aws_secretsmanager_secret.webhook.arn
    WEBHOOK_SECRET_OVERLAP_SECONDS = tostring(var.webhook_secret_rotation_overlap_seconds)
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
  integration_uri        = module.function.invoke_arn
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
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/POST/webhook"
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

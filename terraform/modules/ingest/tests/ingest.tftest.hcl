# modules/ingest: the webhook secret's container, the HTTP API (POST /webhook, throttling, access logs
# without headers or bodies), the invoke permission and the function's own policy.
#
# The real aws provider, offline (fake keys, no lookups): it renders aws_iam_policy_document locally. The
# function's policy names the secret's ARN, so a plan reads it only at apply: the "rendered_*" runs apply,
# in a state of their own, with every managed resource overridden (nothing reaches the provider).
# The function's environment comes out of module.function (its environment_variables output), checked in
# the "rendered_policy_and_url" run, where the secret's ARN is known.

provider "aws" {
  region                      = "sa-east-1"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
}

variables {
  name                     = "telegram-datalake-ingest"
  package_path             = "../../../dist/ingest.zip"
  raw_bucket_name          = "telegram-datalake-raw-123456789012-sa-east-1"
  raw_bucket_arn           = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1"
  allowed_chat_ids         = ["-1001234567890", "-1009876543210"]
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/telegram-datalake-pipeline-boundary"
}

run "webhook_api" {
  command = plan

  assert {
    condition     = aws_apigatewayv2_api.this.name == "telegram-datalake-ingest" && aws_apigatewayv2_api.this.protocol_type == "HTTP"
    error_message = "The webhook must be an HTTP API named after the function."
  }

  assert {
    condition = (
      aws_apigatewayv2_route.webhook.route_key == "POST /webhook"
      && aws_apigatewayv2_integration.function.integration_type == "AWS_PROXY"
      && aws_apigatewayv2_integration.function.payload_format_version == "2.0"
    )
    error_message = "POST /webhook must proxy to the function (payload format 2.0)."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.default.name == "$default" && aws_apigatewayv2_stage.default.auto_deploy
      && aws_apigatewayv2_stage.default.default_route_settings[0].throttling_burst_limit == 50
      && aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit == 25
    )
    error_message = "The $default stage must auto-deploy and throttle at burst 50, 25 requests/s."
  }

  assert {
    condition = jsondecode(aws_apigatewayv2_stage.default.access_log_settings[0].format) == {
      requestId               = "$context.requestId"
      ip                      = "$context.identity.sourceIp"
      requestTime             = "$context.requestTime"
      routeKey                = "$context.routeKey"
      status                  = "$context.status"
      responseLength          = "$context.responseLength"
      integrationErrorMessage = "$context.integrationErrorMessage"
    }
    error_message = "Access logs must record these request fields only: never headers (the secret token) or bodies."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.name == "/aws/apigateway/telegram-datalake-ingest/access" && aws_cloudwatch_log_group.access.retention_in_days == 30
    error_message = "Access logs go to /aws/apigateway/<name>/access, kept 30 days."
  }

  assert {
    condition = (
      aws_lambda_permission.api.function_name == "telegram-datalake-ingest"
      && aws_lambda_permission.api.principal == "apigateway.amazonaws.com"
      && aws_lambda_permission.api.action == "lambda:InvokeFunction"
    )
    error_message = "Only API Gateway may invoke the function."
  }

  assert {
    condition     = output.function_name == "telegram-datalake-ingest" && output.function_log_group_name == "/aws/lambda/telegram-datalake-ingest"
    error_message = "The function and its log group must be named after var.name."
  }
}

run "webhook_secret" {
  command = plan

  assert {
    condition = (
      aws_secretsmanager_secret.webhook.name == "telegram-datalake-ingest-webhook-secret"
      && aws_secretsmanager_secret.webhook.recovery_window_in_days == 0
      && aws_secretsmanager_secret.webhook.kms_key_id == null
    )
    error_message = "The secret is <name>-webhook-secret, deleted at once on destroy, AWS managed key by default."
  }

  assert {
    condition     = output.webhook_secret_name == "telegram-datalake-ingest-webhook-secret"
    error_message = "webhook_secret_name must name the secret."
  }
}

run "rendered_policy_and_url" {
  command   = apply
  state_key = "rendered"

  override_resource {
    target = aws_secretsmanager_secret.webhook
    values = { arn = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf" }
  }
  override_resource {
    target = aws_apigatewayv2_api.this
    values = { id = "a1b2c3d4e5", execution_arn = "arn:aws:execute-api:sa-east-1:123456789012:a1b2c3d4e5" }
  }
  override_resource {
    target = aws_apigatewayv2_integration.function
    values = { id = "abc1234" }
  }
  override_resource {
    target = aws_apigatewayv2_route.webhook
  }
  override_resource {
    target = aws_cloudwatch_log_group.access
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/apigateway/telegram-datalake-ingest/access" }
  }
  override_resource {
    target = aws_apigatewayv2_stage.default
    values = { invoke_url = "https://a1b2c3d4e5.execute-api.sa-east-1.amazonaws.com/" }
  }
  override_resource {
    target = aws_lambda_permission.api
  }
  override_resource {
    target = module.function.aws_cloudwatch_log_group.this
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-ingest" }
  }
  override_resource {
    target = module.function.aws_iam_role.this
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-ingest-role" }
  }
  override_resource {
    target = module.function.aws_iam_role_policy.this
  }
  override_resource {
    target = module.function.aws_lambda_function.this
    values = {
      arn        = "arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-ingest"
      invoke_arn = "arn:aws:apigateway:sa-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-ingest/invocations"
    }
  }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.function.json) == {
      Version = "2012-10-17"
      Statement = [
        { Sid = "PutRawUpdates", Effect = "Allow", Action = "s3:PutObject", Resource = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/telegram/*" },
        { Sid = "ReadWebhookSecret", Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf" },
      ]
    }
    error_message = "Without a KMS key the function may only put objects under the raw prefix and read its webhook secret."
  }

  assert {
    condition = module.function.environment_variables == tomap({
      RAW_BUCKET                     = "telegram-datalake-raw-123456789012-sa-east-1"
      RAW_PREFIX                     = "telegram"
      ALLOWED_CHAT_IDS               = "-1001234567890,-1009876543210"
      TIMEZONE                       = "America/Sao_Paulo"
      WEBHOOK_SECRET_ARN             = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf"
      WEBHOOK_SECRET_OVERLAP_SECONDS = "300"
      FUNCTION_TIMEOUT_SECONDS       = "20"
    })
    error_message = "The ingest environment must be exactly what functions/ingest/config.py reads: names and ids and the timeout, never the token."
  }

  assert {
    condition     = aws_lambda_permission.api.source_arn == "arn:aws:execute-api:sa-east-1:123456789012:a1b2c3d4e5/*/POST/webhook"
    error_message = "Only the POST /webhook route of this API may invoke the function."
  }

  assert {
    condition     = output.webhook_url == "https://a1b2c3d4e5.execute-api.sa-east-1.amazonaws.com/webhook"
    error_message = "webhook_url must be the stage's URL followed by webhook."
  }
}

run "rendered_policy_with_kms_key" {
  command   = apply
  state_key = "rendered"

  variables {
    raw_prefix  = "updates/telegram"
    kms_key_arn = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  override_resource {
    target = aws_secretsmanager_secret.webhook
    values = { arn = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf" }
  }
  override_resource {
    target = aws_apigatewayv2_api.this
    values = { id = "a1b2c3d4e5", execution_arn = "arn:aws:execute-api:sa-east-1:123456789012:a1b2c3d4e5" }
  }
  override_resource {
    target = aws_apigatewayv2_integration.function
    values = { id = "abc1234" }
  }
  override_resource {
    target = aws_apigatewayv2_route.webhook
  }
  override_resource {
    target = aws_cloudwatch_log_group.access
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/apigateway/telegram-datalake-ingest/access" }
  }
  override_resource {
    target = aws_apigatewayv2_stage.default
    values = { invoke_url = "https://a1b2c3d4e5.execute-api.sa-east-1.amazonaws.com/" }
  }
  override_resource {
    target = aws_lambda_permission.api
  }
  override_resource {
    target = module.function.aws_cloudwatch_log_group.this
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-ingest" }
  }
  override_resource {
    target = module.function.aws_iam_role.this
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-ingest-role" }
  }
  override_resource {
    target = module.function.aws_iam_role_policy.this
  }
  override_resource {
    target = module.function.aws_lambda_function.this
    values = {
      arn        = "arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-ingest"
      invoke_arn = "arn:aws:apigateway:sa-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-ingest/invocations"
    }
  }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.function.json).Statement == [
      { Sid = "PutRawUpdates", Effect = "Allow", Action = "s3:PutObject", Resource = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/updates/telegram/*" },
      { Sid = "ReadWebhookSecret", Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf" },
      { Sid = "UseDataKey", Effect = "Allow", Action = ["kms:GenerateDataKey", "kms:Decrypt"], Resource = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
    ]
    error_message = "With a KMS key the function may also use that key, and the put follows raw_prefix."
  }

  assert {
    condition     = aws_secretsmanager_secret.webhook.kms_key_id == "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "kms_key_arn must encrypt the webhook secret."
  }
}

run "reject_timeout_beyond_api_gateway" {
  command = plan

  variables {
    timeout = 30
  }

  expect_failures = [var.timeout]
}

run "reject_wildcard_mixed_with_ids" {
  command = plan

  variables {
    allowed_chat_ids = ["*", "-1001234567890"]
  }

  expect_failures = [var.allowed_chat_ids]
}

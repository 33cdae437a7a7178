# modules/function: names, the environment with FUNCTION_TIMEOUT_SECONDS, the role's trust and its one
# inline policy (the caller's statements plus writing its own logs).
#
# The real aws provider, offline (fake keys, no lookups): it renders aws_iam_policy_document locally. The
# inline policy names the log group's ARN, so a plan reads it only at apply: the "rendered_policy" run
# applies, in its own state, with every managed resource overridden (nothing reaches the provider).
# The package is dist/ingest.zip of the repository (`make build`, or a placeholder the pytest runner writes).

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
  description              = "A test function"
  package_path             = "../../../dist/ingest.zip"
  handler                  = "functions.ingest.handler.lambda_handler"
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/telegram-datalake-pipeline-boundary"
  environment_variables    = { RAW_BUCKET = "raw-bucket", TIMEZONE = "UTC" }
  policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "PutRawUpdates", Effect = "Allow", Action = "s3:PutObject", Resource = "arn:aws:s3:::raw-bucket/telegram/*" }]
  })
}

run "names_and_environment" {
  command = plan

  assert {
    condition = (
      aws_lambda_function.this.function_name == "telegram-datalake-ingest"
      && aws_iam_role.this.name == "telegram-datalake-ingest-role"
      && aws_iam_role_policy.this.name == "telegram-datalake-ingest-access"
      && aws_cloudwatch_log_group.this.name == "/aws/lambda/telegram-datalake-ingest"
    )
    error_message = "The function, its role <name>-role, policy <name>-access and log group /aws/lambda/<name> must follow var.name."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables == tomap({ RAW_BUCKET = "raw-bucket", TIMEZONE = "UTC", FUNCTION_TIMEOUT_SECONDS = "15" })
    error_message = "The environment must be the caller's variables plus FUNCTION_TIMEOUT_SECONDS = the timeout (15)."
  }

  assert {
    condition = (
      aws_lambda_function.this.timeout == 15 && aws_lambda_function.this.memory_size == 256
      && aws_lambda_function.this.runtime == "python3.13" && aws_lambda_function.this.architectures == tolist(["arm64"])
      && aws_lambda_function.this.handler == "functions.ingest.handler.lambda_handler"
      && aws_lambda_function.this.reserved_concurrent_executions == -1
    )
    error_message = "Defaults: 15 s, 256 MB, python3.13 on arm64, the given handler, no reserved concurrency (-1)."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/telegram-datalake-ingest" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The function must log to its own log group, kept 30 days by default."
  }

  assert {
    condition     = aws_iam_role.this.permissions_boundary == "arn:aws:iam::123456789012:policy/telegram-datalake-pipeline-boundary"
    error_message = "The execution role must carry the permissions boundary."
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy) == {
      Version   = "2012-10-17"
      Statement = [{ Sid = "LambdaAssumeRole", Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
    }
    error_message = "Only Lambda may assume the execution role."
  }
}

run "timeout_reaches_the_environment" {
  command = plan

  variables {
    timeout                        = 900
    memory_size                    = 1024
    architecture                   = "x86_64"
    reserved_concurrent_executions = 1
    kms_key_arn                    = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    layers                         = ["arn:aws:lambda:sa-east-1:123456789012:layer:telegram-datalake-etl-pyarrow:3"]
  }

  assert {
    condition     = aws_lambda_function.this.timeout == 900 && aws_lambda_function.this.environment[0].variables["FUNCTION_TIMEOUT_SECONDS"] == "900"
    error_message = "FUNCTION_TIMEOUT_SECONDS must follow timeout (900)."
  }

  assert {
    condition = (
      aws_lambda_function.this.kms_key_arn == "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      && aws_cloudwatch_log_group.this.kms_key_id == "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    error_message = "kms_key_arn must encrypt the environment and the log group."
  }

  assert {
    condition = (
      aws_lambda_function.this.architectures == tolist(["x86_64"]) && aws_lambda_function.this.reserved_concurrent_executions == 1
      && aws_lambda_function.this.layers == tolist(["arn:aws:lambda:sa-east-1:123456789012:layer:telegram-datalake-etl-pyarrow:3"])
    )
    error_message = "architecture, reserved_concurrent_executions and layers must reach the function."
  }
}

# Apply in a state of its own with every managed resource overridden: nothing is created.
run "rendered_policy" {
  command   = apply
  state_key = "rendered"

  override_resource {
    target = aws_cloudwatch_log_group.this
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-ingest" }
  }
  override_resource {
    target = aws_iam_role.this
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-ingest-role" }
  }
  override_resource {
    target = aws_iam_role_policy.this
  }
  override_resource {
    target = aws_lambda_function.this
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy) == {
      Version = "2012-10-17"
      Statement = [
        { Sid = "PutRawUpdates", Effect = "Allow", Action = "s3:PutObject", Resource = "arn:aws:s3:::raw-bucket/telegram/*" },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:PutLogEvents", "logs:CreateLogStream"]
          Resource = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-ingest:*"
        },
      ]
    }
    error_message = "The inline policy must be the caller's statements plus writing to the function's own log streams, nothing else."
  }
}

run "reject_timeout_over_15_minutes" {
  command = plan

  variables {
    timeout = 901
  }

  expect_failures = [var.timeout]
}

run "reject_own_timeout_variable" {
  command = plan

  variables {
    environment_variables = { FUNCTION_TIMEOUT_SECONDS = "3" }
  }

  expect_failures = [var.environment_variables]
}

run "reject_name_too_long_for_the_role" {
  command = plan

  variables {
    name = "a-function-name-that-leaves-no-room-for-the-role-suffix-xyz0"
  }

  expect_failures = [var.name]
}

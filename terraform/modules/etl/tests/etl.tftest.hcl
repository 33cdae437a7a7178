# modules/etl: the daily schedule (expression, time zone, input), the scheduler's trust and policy, the
# function's policy, the layer, the dead-letter queue and Lambda's retries.
#
# The real aws provider, offline (fake keys, no lookups): it renders aws_iam_policy_document, aws_region
# and aws_partition locally; the account id (an STS call) is overridden. The scheduler's trust depends on
# those data sources only, so a plan renders it. The other documents name the queue's and the function's
# ARNs, which a plan reads only at apply: the "rendered_policies" run applies, in a state of its own, with
# every managed resource overridden (nothing reaches the provider).
# The function's environment comes out of module.function (its environment_variables output).

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

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
  }
}

variables {
  name                     = "telegram-datalake-etl"
  package_path             = "../../../dist/etl.zip"
  layer_package_path       = "../../../dist/pyarrow-layer.zip"
  artifacts_bucket_name    = "telegram-datalake-artifacts-123456789012-sa-east-1"
  raw_bucket_name          = "telegram-datalake-raw-123456789012-sa-east-1"
  raw_bucket_arn           = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1"
  enriched_bucket_name     = "telegram-datalake-enriched-123456789012-sa-east-1"
  enriched_bucket_arn      = "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1"
  table_prefixes           = ["member_events", "message_edits", "reactions"]
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/telegram-datalake-pipeline-boundary"
}

run "daily_schedule" {
  command = plan

  assert {
    condition = (
      aws_scheduler_schedule.daily.name == "telegram-datalake-etl-daily"
      && aws_scheduler_schedule.daily.schedule_expression == "cron(30 0 * * ? *)"
      && aws_scheduler_schedule.daily.schedule_expression_timezone == "America/Sao_Paulo"
      && aws_scheduler_schedule.daily.state == "ENABLED"
      && aws_scheduler_schedule.daily.flexible_time_window[0].mode == "OFF"
    )
    error_message = "The schedule <name>-daily must run at 00:30 every day, America/Sao_Paulo time, enabled, without a window."
  }

  assert {
    condition     = jsondecode(aws_scheduler_schedule.daily.target[0].input) == { source = "telegram-datalake.schedule" }
    error_message = "The schedule's event must be exactly {\"source\":\"telegram-datalake.schedule\"} (no dates: yesterday)."
  }

  assert {
    condition = (
      aws_scheduler_schedule.daily.target[0].retry_policy[0].maximum_retry_attempts == 5
      && aws_scheduler_schedule.daily.target[0].retry_policy[0].maximum_event_age_in_seconds == 3600
    )
    error_message = "The scheduler must retry delivery 5 times within an hour."
  }

  assert {
    condition = jsondecode(aws_iam_role.scheduler.assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "SchedulerAssumeRole"
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "scheduler.amazonaws.com" }
        Condition = {
          StringEquals = { "aws:SourceAccount" = "123456789012" }
          ArnEquals    = { "aws:SourceArn" = "arn:aws:scheduler:sa-east-1:123456789012:schedule-group/default" }
        }
      }]
    }
    error_message = "Only EventBridge Scheduler of this account, for the default schedule group, may assume the scheduler role."
  }

  assert {
    condition = (
      aws_iam_role.scheduler.name == "telegram-datalake-etl-scheduler"
      && aws_iam_role_policy.scheduler.name == "telegram-datalake-etl-scheduler-access"
      && aws_iam_role.scheduler.permissions_boundary == "arn:aws:iam::123456789012:policy/telegram-datalake-pipeline-boundary"
    )
    error_message = "The scheduler role <name>-scheduler must carry the boundary; its policy is <name>-scheduler-access."
  }
}

run "function_environment" {
  command = plan

  assert {
    condition = module.function.environment_variables == tomap({
      RAW_BUCKET               = "telegram-datalake-raw-123456789012-sa-east-1"
      ENRICHED_BUCKET          = "telegram-datalake-enriched-123456789012-sa-east-1"
      TIMEZONE                 = "America/Sao_Paulo"
      RAW_PREFIX               = "telegram"
      ENRICHED_PREFIX          = "telegram"
      MAX_WORKERS              = "32"
      FUNCTION_TIMEOUT_SECONDS = "900"
    })
    error_message = "The ETL environment must be exactly what functions/etl/config.py reads, the timeout included."
  }

  assert {
    condition     = output.pseudonym_key_parameter_name == null
    error_message = "Without pseudonym_key_parameter_name the tables keep user ids: no PSEUDONYM_KEY_PARAMETER, no parameter named."
  }
}

run "pseudonymised_environment" {
  command = plan

  variables {
    pseudonym_key_parameter_name = "/telegram-datalake/pseudonym-key"
  }

  assert {
    condition = module.function.environment_variables == tomap({
      RAW_BUCKET               = "telegram-datalake-raw-123456789012-sa-east-1"
      ENRICHED_BUCKET          = "telegram-datalake-enriched-123456789012-sa-east-1"
      TIMEZONE                 = "America/Sao_Paulo"
      RAW_PREFIX               = "telegram"
      ENRICHED_PREFIX          = "telegram"
      MAX_WORKERS              = "32"
      PSEUDONYM_KEY_PARAMETER  = "/telegram-datalake/pseudonym-key"
      FUNCTION_TIMEOUT_SECONDS = "900"
    })
    error_message = "With pseudonym_key_parameter_name the function gets the parameter's name (never a key) as PSEUDONYM_KEY_PARAMETER."
  }

  assert {
    condition     = output.pseudonym_key_parameter_name == "/telegram-datalake/pseudonym-key"
    error_message = "The parameter's name must be an output, for `telegram-datalake pseudonym-key init`."
  }
}

run "layer_queue_and_retries" {
  command = plan

  assert {
    condition = (
      aws_s3_object.layer.bucket == "telegram-datalake-artifacts-123456789012-sa-east-1"
      && aws_s3_object.layer.key == "lambda-layers/telegram-datalake-etl/pyarrow-layer.zip"
      && aws_lambda_layer_version.pyarrow.layer_name == "telegram-datalake-etl-pyarrow"
      && aws_lambda_layer_version.pyarrow.compatible_runtimes == toset(["python3.13"])
      && aws_lambda_layer_version.pyarrow.compatible_architectures == toset(["arm64"])
    )
    error_message = "The layer <name>-pyarrow must come from lambda-layers/<name>/pyarrow-layer.zip in the artifacts bucket, for python3.13 on arm64."
  }

  assert {
    condition = (
      aws_sqs_queue.dead_letter.name == "telegram-datalake-etl-dlq"
      && aws_sqs_queue.dead_letter.message_retention_seconds == 1209600
      && aws_sqs_queue.dead_letter.sqs_managed_sse_enabled == true
    )
    error_message = "The dead-letter queue <name>-dlq must keep messages 14 days, SQS-managed encryption without a key."
  }

  assert {
    condition = (
      aws_lambda_function_event_invoke_config.this.function_name == "telegram-datalake-etl"
      && aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 2
      && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 21600
    )
    error_message = "A failed run must be retried twice, and kept up to 6 hours."
  }

  assert {
    condition     = output.function_name == "telegram-datalake-etl" && output.log_group_name == "/aws/lambda/telegram-datalake-etl"
    error_message = "The function and its log group must be named after var.name."
  }
}

run "other_schedule_and_time_zone" {
  command = plan

  variables {
    schedule_expression = "cron(15 3 * * ? *)"
    timezone            = "UTC"
    architecture        = "x86_64"
  }

  assert {
    condition     = aws_scheduler_schedule.daily.schedule_expression == "cron(15 3 * * ? *)" && aws_scheduler_schedule.daily.schedule_expression_timezone == "UTC"
    error_message = "schedule_expression and timezone must reach the schedule."
  }

  assert {
    condition     = aws_lambda_layer_version.pyarrow.compatible_architectures == toset(["x86_64"])
    error_message = "The layer must be built for the function's architecture."
  }
}

run "rendered_policies" {
  command   = apply
  state_key = "rendered"

  override_resource {
    target = aws_s3_object.layer
    values = { version_id = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" }
  }
  override_resource {
    target = aws_lambda_layer_version.pyarrow
    values = { arn = "arn:aws:lambda:sa-east-1:123456789012:layer:telegram-datalake-etl-pyarrow:1" }
  }
  override_resource {
    target = aws_sqs_queue.dead_letter
    values = { arn = "arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-etl-dlq" }
  }
  override_resource {
    target = aws_lambda_function_event_invoke_config.this
  }
  override_resource {
    target = aws_iam_role.scheduler
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-etl-scheduler" }
  }
  override_resource {
    target = aws_iam_role_policy.scheduler
  }
  override_resource {
    target = aws_scheduler_schedule.daily
  }
  override_resource {
    target = module.function.aws_cloudwatch_log_group.this
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-etl" }
  }
  override_resource {
    target = module.function.aws_iam_role.this
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-etl-role" }
  }
  override_resource {
    target = module.function.aws_iam_role_policy.this
  }
  override_resource {
    target = module.function.aws_lambda_function.this
    values = { arn = "arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-etl" }
  }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.function.json) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "ListRawUpdates"
          Effect    = "Allow"
          Action    = "s3:ListBucket"
          Resource  = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1"
          Condition = { StringLike = { "s3:prefix" = "telegram/*" } }
        },
        { Sid = "ReadRawUpdates", Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/telegram/*" },
        {
          Sid       = "ListParquet"
          Effect    = "Allow"
          Action    = "s3:ListBucket"
          Resource  = "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1"
          Condition = { StringLike = { "s3:prefix" = ["telegram/*", "member_events/*", "message_edits/*", "reactions/*"] } }
        },
        {
          Sid    = "WriteParquet"
          Effect = "Allow"
          Action = ["s3:PutObject", "s3:DeleteObject"]
          Resource = [
            "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/telegram/*",
            "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/reactions/*",
            "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/message_edits/*",
            "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/member_events/*",
          ]
        },
        { Sid = "SendFailedRuns", Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-etl-dlq" },
      ]
    }
    error_message = "The ETL may only list and read the raw prefix, list and write each table's prefix (enriched_prefix, then table_prefixes), and send to its dead-letter queue."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.scheduler.policy) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "InvokeEtl"
          Effect   = "Allow"
          Action   = "lambda:InvokeFunction"
          Resource = ["arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-etl:*", "arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-etl"]
        },
        { Sid = "SendUndeliveredEvents", Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-etl-dlq" },
      ]
    }
    error_message = "The scheduler may only invoke the ETL function and send undelivered events to its dead-letter queue."
  }

  assert {
    condition = (
      aws_scheduler_schedule.daily.target[0].arn == "arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-etl"
      && aws_scheduler_schedule.daily.target[0].role_arn == "arn:aws:iam::123456789012:role/telegram-datalake-etl-scheduler"
      && aws_scheduler_schedule.daily.target[0].dead_letter_config[0].arn == "arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-etl-dlq"
    )
    error_message = "The schedule must start the ETL function with the scheduler role, dead letters to the queue."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == "arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-etl-dlq"
    error_message = "Failed runs must go to the dead-letter queue."
  }
}

run "rendered_pseudonym_key_policy" {
  command   = apply
  state_key = "pseudonymised"

  variables {
    pseudonym_key_parameter_name = "/telegram-datalake/pseudonym-key"
    kms_key_arn                  = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  override_resource {
    target = aws_s3_object.layer
    values = { version_id = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" }
  }
  override_resource {
    target = aws_lambda_layer_version.pyarrow
    values = { arn = "arn:aws:lambda:sa-east-1:123456789012:layer:telegram-datalake-etl-pyarrow:1" }
  }
  override_resource {
    target = aws_sqs_queue.dead_letter
    values = { arn = "arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-etl-dlq" }
  }
  override_resource {
    target = aws_lambda_function_event_invoke_config.this
  }
  override_resource {
    target = aws_iam_role.scheduler
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-etl-scheduler" }
  }
  override_resource {
    target = aws_iam_role_policy.scheduler
  }
  override_resource {
    target = aws_scheduler_schedule.daily
  }
  override_resource {
    target = module.function.aws_cloudwatch_log_group.this
    values = { arn = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-etl" }
  }
  override_resource {
    target = module.function.aws_iam_role.this
    values = { arn = "arn:aws:iam::123456789012:role/telegram-datalake-etl-role" }
  }
  override_resource {
    target = module.function.aws_iam_role_policy.this
  }
  override_resource {
    target = module.function.aws_lambda_function.this
    values = { arn = "arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-etl" }
  }

  assert {
    condition = [for statement in jsondecode(data.aws_iam_policy_document.function.json).Statement : statement if statement.Sid == "ReadPseudonymKey"] == [
      { Sid = "ReadPseudonymKey", Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:sa-east-1:123456789012:parameter/telegram-datalake/pseudonym-key" },
    ]
    error_message = "The ETL may read the pseudonym key's parameter: GetParameter on its ARN only (no path, no history, no write)."
  }

  assert {
    condition = [for statement in jsondecode(data.aws_iam_policy_document.function.json).Statement : [toset(statement.Action), statement.Resource] if statement.Sid == "UseDataKey"] == [
      [toset(["kms:Decrypt", "kms:GenerateDataKey"]), "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
    ]
    error_message = "With kms_key_arn the ETL may decrypt with it: a pseudonym key encrypted with the deployment's key included."
  }
}

run "reject_timeout_over_15_minutes" {
  command = plan

  variables {
    timeout = 901
  }

  expect_failures = [var.timeout]
}

run "reject_schedule_that_is_not_an_expression" {
  command = plan

  variables {
    schedule_expression = "every day at 00:30"
  }

  expect_failures = [var.schedule_expression]
}

run "reject_an_enriched_prefix_of_another_table" {
  command = plan

  variables {
    enriched_prefix = "message_edits"
  }

  expect_failures = [var.enriched_prefix]
}

run "reject_an_enriched_prefix_under_another_table" {
  command = plan

  variables {
    enriched_prefix = "reactions/telegram"
  }

  expect_failures = [var.enriched_prefix]
}

run "reject_a_table_prefix_with_a_slash" {
  command = plan

  variables {
    table_prefixes = ["lake/reactions"]
  }

  expect_failures = [var.table_prefixes]
}

run "reject_a_pseudonym_key_parameter_that_is_not_a_path" {
  command = plan

  variables {
    pseudonym_key_parameter_name = "pseudonym-key"
  }

  expect_failures = [var.pseudonym_key_parameter_name]
}

run "reject_a_pseudonym_key_parameter_ssm_reserves" {
  command = plan

  variables {
    pseudonym_key_parameter_name = "/AWS/pseudonym-key"
  }

  expect_failures = [var.pseudonym_key_parameter_name]
}

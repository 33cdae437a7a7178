# modules/monitoring: the six alarms (names, metrics, thresholds, missing data), the metric filter that
# counts stored updates, and who the alarms notify.
#
# The real aws provider, offline (fake keys, no lookups). Everything asserted here is known at plan time;
# the alarm topic's ARN is given by an override during the plan.

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
  name_prefix                = "telegram-datalake"
  ingest_function_name       = "telegram-datalake-ingest"
  etl_function_name          = "telegram-datalake-etl"
  etl_dead_letter_queue_name = "telegram-datalake-etl-dlq"
  ingest_log_group_name      = "/aws/lambda/telegram-datalake-ingest"
  api_id                     = "a1b2c3d4e5"
}

run "alarms" {
  command = plan

  assert {
    condition = output.alarm_names == {
      etl_errors        = "telegram-datalake-etl-errors"
      etl_dead_letters  = "telegram-datalake-etl-dead-letters"
      ingest_errors     = "telegram-datalake-ingest-errors"
      api_5xx           = "telegram-datalake-api-5xx"
      api_4xx           = "telegram-datalake-api-4xx"
      no_updates_stored = "telegram-datalake-no-updates-stored"
    }
    error_message = "There must be exactly these six alarms, named <name_prefix>-<alarm>."
  }

  assert {
    condition = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => "${alarm.namespace} ${alarm.metric_name} ${alarm.statistic}" } == {
      etl_errors        = "AWS/Lambda Errors Sum"
      etl_dead_letters  = "AWS/SQS ApproximateNumberOfMessagesVisible Maximum"
      ingest_errors     = "AWS/Lambda Errors Sum"
      api_5xx           = "AWS/ApiGateway 5xx Sum"
      api_4xx           = "AWS/ApiGateway 4xx Sum"
      no_updates_stored = "TelegramDatalake/telegram-datalake UpdatesStored Sum"
    }
    error_message = "Each alarm must watch its metric (namespace, name, statistic)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["etl_errors"].dimensions == tomap({ FunctionName = "telegram-datalake-etl" })
      && aws_cloudwatch_metric_alarm.this["ingest_errors"].dimensions == tomap({ FunctionName = "telegram-datalake-ingest" })
      && aws_cloudwatch_metric_alarm.this["etl_dead_letters"].dimensions == tomap({ QueueName = "telegram-datalake-etl-dlq" })
      && aws_cloudwatch_metric_alarm.this["api_5xx"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "$default" })
      && aws_cloudwatch_metric_alarm.this["api_4xx"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "$default" })
    )
    error_message = "Each alarm must watch its own function, queue or API stage."
  }

  assert {
    condition = alltrue([
      for key, alarm in aws_cloudwatch_metric_alarm.this :
      alarm.threshold == (key == "api_4xx" ? 5 : 1) && alarm.period == 300 && alarm.evaluation_periods == 1
      && alarm.comparison_operator == "GreaterThanOrEqualToThreshold" && alarm.treat_missing_data == "notBreaching"
      if key != "no_updates_stored"
    ])
    error_message = "Error alarms fire on one 5-minute datapoint at or above 1 (api_4xx: 5); missing data is not breaching."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["no_updates_stored"].threshold == 1
      && aws_cloudwatch_metric_alarm.this["no_updates_stored"].comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.this["no_updates_stored"].period == 3600
      && aws_cloudwatch_metric_alarm.this["no_updates_stored"].evaluation_periods == 24
      && aws_cloudwatch_metric_alarm.this["no_updates_stored"].treat_missing_data == "breaching"
    )
    error_message = "no_updates_stored must fire after 24 hourly datapoints below 1 stored update, missing data breaching."
  }

  assert {
    condition = (
      aws_cloudwatch_log_metric_filter.updates_stored.name == "telegram-datalake-updates-stored"
      && aws_cloudwatch_log_metric_filter.updates_stored.log_group_name == "/aws/lambda/telegram-datalake-ingest"
      && aws_cloudwatch_log_metric_filter.updates_stored.pattern == "{ $.outcome = \"stored\" }"
      && aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].value == "1"
      && aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].default_value == "0"
    )
    error_message = "The metric filter must count 1 per ingest log line with outcome \"stored\" (0 otherwise)."
  }

  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && length(aws_sns_topic_subscription.email) == 0 && alltrue([for alarm in aws_cloudwatch_metric_alarm.this : try(length(alarm.alarm_actions), 0) == 0])
    error_message = "Without alarm_email there is no topic and no alarm action."
  }
}

run "alarm_email_and_thresholds" {
  command = plan

  variables {
    alarm_email           = "ops@example.com"
    alarm_actions         = ["arn:aws:sns:sa-east-1:123456789012:on-call"]
    api_4xx_threshold     = 20
    no_update_alarm_hours = 72
  }

  override_resource {
    target          = aws_sns_topic.alarms
    override_during = plan
    values          = { arn = "arn:aws:sns:sa-east-1:123456789012:telegram-datalake-alarms" }
  }

  assert {
    condition = (
      aws_sns_topic.alarms[0].name == "telegram-datalake-alarms"
      && aws_sns_topic_subscription.email[0].protocol == "email"
      && aws_sns_topic_subscription.email[0].endpoint == "ops@example.com"
    )
    error_message = "alarm_email must create the topic <name_prefix>-alarms with an e-mail subscription."
  }

  assert {
    condition = alltrue([
      for alarm in aws_cloudwatch_metric_alarm.this :
      alarm.alarm_actions == toset(["arn:aws:sns:sa-east-1:123456789012:telegram-datalake-alarms", "arn:aws:sns:sa-east-1:123456789012:on-call"])
      && alarm.ok_actions == alarm.alarm_actions
    ])
    error_message = "Every alarm must notify the topic and alarm_actions, when it fires and when it recovers."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["api_4xx"].threshold == 20 && aws_cloudwatch_metric_alarm.this["no_updates_stored"].evaluation_periods == 72
    error_message = "api_4xx_threshold and no_update_alarm_hours must reach their alarms."
  }
}

run "reject_more_than_a_week_without_updates" {
  command = plan

  variables {
    no_update_alarm_hours = 169
  }

  expect_failures = [var.no_update_alarm_hours]
}

run "reject_period_not_whole_minutes" {
  command = plan

  variables {
    period_seconds = 90
  }

  expect_failures = [var.period_seconds]
}

# Alarms on what can go wrong unnoticed: a failing or crashing function, a failed daily run left in
# the dead-letter queue, the webhook answering 5xx (Telegram then retries and eventually drops) or 4xx
# (a wrong or rotated secret refuses every update), and no update stored for hours (the bot removed
# from the group, the webhook deleted).

locals {
  create_topic  = var.alarm_email != null || var.create_sns_topic
  alarm_actions = concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)

  # Every alarm: one datapoint of period_seconds at or above its threshold fires it, and missing data is
  # fine, except for no_updates_stored, whose missing data (no update at all) is the very thing it watches.
  alarms = {
    etl_errors = {
      description = "The daily ETL run failed (Lambda retries it; a run that keeps failing ends up in the dead-letter queue)."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.etl_function_name }
    }
    etl_dead_letters = {
      description = "A daily run gave up (or its schedule event was undeliverable): messages wait in the ETL dead-letter queue. Rerun the day, then purge the queue."
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      dimensions  = { QueueName = var.etl_dead_letter_queue_name }
    }
    ingest_errors = {
      description = "The ingest function crashed or timed out: Telegram retries, but updates can be lost if it keeps failing."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.ingest_function_name }
    }
    api_5xx = {
      description = "The webhook answered 5xx (S3 or the secret unavailable, function misconfigured or failing): Telegram retries, then drops updates."
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      statistic   = "Sum"
      dimensions  = { ApiId = var.api_id, Stage = var.api_stage_name }
    }
    api_4xx = {
      description = "The webhook refused requests (4xx): a wrong or rotated secret token (401), throttling (429) or malformed calls. Telegram keeps retrying what it sent and drops it after a while: check `telegram-datalake webhook info`."
      namespace   = "AWS/ApiGateway"
      metric_name = "4xx"
      statistic   = "Sum"
      dimensions  = { ApiId = var.api_id, Stage = var.api_stage_name }
      threshold   = var.api_4xx_threshold
    }
    no_updates_stored = {
      description = "No update was stored for ${var.no_update_alarm_hours} hours: the bot may have been removed from the group, the webhook deleted or pointed elsewhere, or every delivery refused. Check `telegram-datalake webhook info`."
      namespace   = aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].namespace
      metric_name = aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].name
      statistic   = "Sum"
      dimensions  = {}
      period      = 3600
      evaluations = var.no_update_alarm_hours
      threshold   = 1
      comparison  = "LessThanThreshold"
      missing     = "breaching"
    }
  }
}

# One count per update the ingest function stored, from its one JSON log line per request.
resource "aws_cloudwatch_log_metric_filter" "updates_stored" {
  name           = "${var.name_prefix}-updates-stored"
  log_group_name = var.ingest_log_group_name
  pattern        = "{ $.outcome = \"stored\" }"

  metric_transformation {
    name          = "UpdatesStored"
    namespace     = "TelegramDatalake/${var.name_prefix}"
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

# Encrypted with kms_key_arn when one is given. Not with the AWS managed alias/aws/sns key: its key
# policy does not let CloudWatch use it, so alarms could not publish (and alarms carry no message data).
resource "aws_sns_topic" "alarms" {
  count = local.create_topic ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  display_name      = "${var.name_prefix} alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email != null ? 1 : 0

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = lookup(each.value, "period", var.period_seconds)
  evaluation_periods  = lookup(each.value, "evaluations", 1)
  threshold           = lookup(each.value, "threshold", 1)
  comparison_operator = lookup(each.value, "comparison", "GreaterThanOrEqualToThreshold")
  treat_missing_data  = lookup(each.value, "missing", "notBreaching")
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

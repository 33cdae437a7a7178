output "sns_topic_arn" {
  description = "ARN of the alarm SNS topic, or null when none was created."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "alarm_names" {
  description = "Alarm names by key: etl_errors, etl_dead_letters, ingest_errors, api_5xx, api_4xx, no_updates_stored."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "alarm_arns" {
  description = "Alarm ARNs by key: etl_errors, etl_dead_letters, ingest_errors, api_5xx, api_4xx, no_updates_stored."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}

output "updates_stored_metric" {
  description = "Namespace and name of the metric counting stored updates (from the ingest function's logs)."
  value = {
    namespace = aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].namespace
    name      = aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].name
  }
}

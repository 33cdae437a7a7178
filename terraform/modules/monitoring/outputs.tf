output "sns_topic_arn" {
  description = "ARN of the alarm SNS topic, or null when none was created."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "alarm_names" {
  description = "Alarm names by key: etl_errors, etl_dead_letters, ingest_errors, api_5xx."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "alarm_arns" {
  description = "Alarm ARNs by key: etl_errors, etl_dead_letters, ingest_errors, api_5xx."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}

output "function_name" {
  description = "Name of the ETL Lambda function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the ETL Lambda function."
  value       = module.function.function_arn
}

output "role_arn" {
  description = "ARN of the ETL function's execution role."
  value       = module.function.role_arn
}

output "layer_version_arn" {
  description = "ARN (with version) of the pyarrow layer the function uses."
  value       = aws_lambda_layer_version.pyarrow.arn
}

output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that starts the daily run."
  value       = aws_scheduler_schedule.daily.name
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that starts the daily run."
  value       = aws_scheduler_schedule.daily.arn
}

output "dead_letter_queue_url" {
  description = "URL of the SQS queue with failed runs and undeliverable schedule events."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the SQS queue with failed runs and undeliverable schedule events."
  value       = aws_sqs_queue.dead_letter.arn
}

output "dead_letter_queue_name" {
  description = "Name of the SQS queue with failed runs and undeliverable schedule events."
  value       = aws_sqs_queue.dead_letter.name
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = module.function.log_group_name
}

output "pseudonym_key_parameter_name" {
  description = "Name of the SSM SecureString with the pseudonym key the function hashes user ids with (`telegram-datalake pseudonym-key init` writes it); null when the tables keep user ids."
  value       = var.pseudonym_key_parameter_name
}

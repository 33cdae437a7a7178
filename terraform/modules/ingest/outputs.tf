output "webhook_url" {
  description = "URL to give Telegram's setWebhook (https://<api id>.execute-api.<region>.amazonaws.com/webhook)."
  value       = "${aws_apigatewayv2_stage.default.invoke_url}webhook"
}

output "webhook_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the webhook's secret token (the token itself is never a Terraform value)."
  value       = aws_secretsmanager_secret.webhook.arn
}

output "webhook_secret_name" {
  description = "Name of the Secrets Manager secret holding the webhook's secret token."
  value       = aws_secretsmanager_secret.webhook.name
}

output "function_name" {
  description = "Name of the ingest Lambda function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the ingest Lambda function."
  value       = module.function.function_arn
}

output "role_arn" {
  description = "ARN of the ingest function's execution role."
  value       = module.function.role_arn
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_stage_name" {
  description = "Name of the HTTP API's stage ($default)."
  value       = aws_apigatewayv2_stage.default.name
}

output "function_log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = module.function.log_group_name
}

output "access_log_group_name" {
  description = "Name of the CloudWatch log group with the API's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

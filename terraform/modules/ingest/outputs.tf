output "webhook_url" {
  description = "URL to give Telegram's setWebhook (https://<api id>.execute-api.<region>.amazonaws.com/webhook)."
  value       = "${aws_apigatewayv2_stage.default.invoke_url}webhook"
}

output "webhook_secret_token" {
  description = "Secret token to give Telegram's setWebhook as secret_token (the given one, or the generated one)."
  value       = local.webhook_secret_token
  sensitive   = true
}

output "function_name" {
  description = "Name of the ingest Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the ingest Lambda function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the ingest function's execution role."
  value       = aws_iam_role.function.arn
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
  value       = aws_cloudwatch_log_group.function.name
}

output "access_log_group_name" {
  description = "Name of the CloudWatch log group with the API's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

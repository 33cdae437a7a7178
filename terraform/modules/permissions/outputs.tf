output "boundary_policy_arn" {
  description = "ARN the boundary policy has once created with boundary_policy_name and boundary_policy_path (the apply role's conditions name it)."
  value       = local.boundary_policy_arn
}

output "boundary_policy_json" {
  description = "Permissions boundary of every role terraform/ creates: the pipeline's own data, logs, queue, functions, webhook secret, pseudonym key (an SSM parameter under /<name_prefix>/) and KMS key, nothing else."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.boundary_statements })
}

output "read_policy_json" {
  description = "What both CI roles need to refresh (plan) the deployment, with explicit denies on the chat's data, the webhook secret's value and the pseudonym key (SSM parameters under /<name_prefix>/)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.read_statements })
}

output "apply_policy_json" {
  description = "What the apply role needs besides read_policy_json to create, change and delete the deployment: roles only with the boundary, never a change to the boundary."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.apply_statements })
}

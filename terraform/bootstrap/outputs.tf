# Exactly the repository variables the GitHub Actions workflows read (Settings > Secrets and
# variables > Actions > Variables); none of them is a secret.

output "state_bucket" {
  description = "Repository variable TF_STATE_BUCKET: the S3 bucket of the deployment's Terraform state."
  value       = aws_s3_bucket.state.id
}

output "state_key" {
  description = "Repository variable TF_STATE_KEY: the state object's key (Terraform locks it with <key>.tflock)."
  value       = var.state_key
}

output "aws_region" {
  description = "Repository variable AWS_REGION: the Region of the state bucket and of the deployment, which the roles are scoped to (the workflow passes it as TF_VAR_aws_region)."
  value       = var.aws_region
}

output "plan_role_arn" {
  description = "Repository variable AWS_PLAN_ROLE_ARN: the read-only role pull request jobs assume to plan."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "Repository variable AWS_APPLY_ROLE_ARN: the role the production environment's job assumes to apply."
  value       = aws_iam_role.apply.arn
}

output "name_prefix" {
  description = "Repository variable NAME_PREFIX: the deployment's name_prefix, which the roles' permissions are scoped to (the workflow passes it as TF_VAR_name_prefix)."
  value       = var.name_prefix
}

output "permissions_boundary_arn" {
  description = "Repository variable PERMISSIONS_BOUNDARY_ARN: the permissions boundary every role of the deployment must carry (the workflow passes it as TF_VAR_permissions_boundary_arn)."
  value       = aws_iam_policy.pipeline_boundary.arn
}

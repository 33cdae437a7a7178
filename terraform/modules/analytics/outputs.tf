output "database_name" {
  description = "Name of the Glue catalog database."
  value       = aws_glue_catalog_database.this.name
}

output "table_name" {
  description = "Name of the Glue catalog table over the Parquet files."
  value       = aws_glue_catalog_table.this.name
}

output "table_location" {
  description = "S3 location of the table (s3://<enriched bucket>/<enriched prefix>/)."
  value       = local.location
}

output "workgroup_name" {
  description = "Name of the Athena workgroup to run queries in."
  value       = aws_athena_workgroup.this.name
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = aws_athena_workgroup.this.arn
}

output "named_query_ids" {
  description = "Ids of the saved Athena queries by name: create_table (the DDL) and one per sql/*.sql file, named after the file."
  value = merge(
    { create_table = aws_athena_named_query.create_table.id },
    { for name, query in aws_athena_named_query.saved : name => query.id },
  )
}

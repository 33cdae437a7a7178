output "database_name" {
  description = "Name of the Glue catalog database."
  value       = aws_glue_catalog_database.this.name
}

output "table_name" {
  description = "Name of the Glue catalog table of the messages (table_name)."
  value       = aws_glue_catalog_table.this["telegram"].name
}

output "table_location" {
  description = "S3 location of the messages table (s3://<enriched bucket>/<enriched prefix>/)."
  value       = local.locations["telegram"]
}

output "table_names" {
  description = "Names of the Glue catalog tables by table (the keys of var.tables): telegram's is table_name, every other one's its key."
  value       = { for key, table in aws_glue_catalog_table.this : key => table.name }
}

output "table_locations" {
  description = "S3 locations of the tables by table: s3://<enriched bucket>/<enriched prefix>/ for telegram, s3://<enriched bucket>/<table>/ for every other one."
  value       = local.locations
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
  description = "Ids of the saved Athena queries by name: create_table (the messages table's DDL), create_table_<table> (every other table's) and one per sql/*.sql file, named after the file."
  value = merge(
    { for query in aws_athena_named_query.create_table : query.name => query.id },
    { for name, query in aws_athena_named_query.saved : name => query.id },
  )
}

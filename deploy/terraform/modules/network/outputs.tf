output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Subnets routed to the internet gateway."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Subnets without any inbound route from the internet."
  value       = aws_subnet.private[*].id
}

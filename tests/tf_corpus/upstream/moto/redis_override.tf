# Workarounds for what moto 5 cannot do (see ../../README.md); Terraform merges this override
# file into upstream's configuration, which is applied as upstream wrote it (apart from the
# expression moto/replace.json replaces).

# moto has no CreateCacheParameterGroup: the group is not applied here and is written into
# the state afterwards (state_only.json), with the attributes the provider stores.
resource "aws_elasticache_parameter_group" "bullmq" {
  count = 0
}

resource "aws_elasticache_cluster" "main" {
  parameter_group_name = "proliferate-redis-bullmq"
}

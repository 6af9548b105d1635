-- The admin bindings search finds a customer by its HUAWEI CLOUD account (domainId) too.
CREATE INDEX IF NOT EXISTS bindings_domain_id ON bindings (domain_id);

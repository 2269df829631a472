DROP FUNCTION IF EXISTS purge_expired_oauth_rows();
DROP FUNCTION IF EXISTS claim_pending_connection(bytea);
DROP FUNCTION IF EXISTS consume_oauth_state(bytea);
DROP TABLE IF EXISTS pending_cloud_connections;
DROP TABLE IF EXISTS oauth_states;
DROP TABLE IF EXISTS user_cloud_storage_tokens;
REVOKE USAGE ON SCHEMA public FROM brand_oauth_broker;

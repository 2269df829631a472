-- The scheduled refresh's second "due" arm: a refresh token not exercised for 7 days. The existing partial index
-- on token_expires_at serves the first arm (access token expiring soon); with this one the planner can answer
-- the whole due predicate with a BitmapOr instead of scanning every active connection.
CREATE INDEX user_cloud_storage_tokens_refresh_idle
  ON user_cloud_storage_tokens ((coalesce(last_refreshed_at, connected_at)))
  WHERE status = 'active';

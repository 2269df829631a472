-- Refresh on use honours the provider-wide pause (issue 21 finding 3, issue 17 item 5): the API role may read
-- the pause the refresh workers keep (008), so a request does not call a token endpoint every worker is backing
-- off from. Read only: only the background role counts failures and sets pauses. Not tenant data (no user_id).
-- Expand only: nothing the previous release reads changes.
GRANT SELECT ON provider_refresh_pauses TO brand_app;

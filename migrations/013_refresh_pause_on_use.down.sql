REVOKE SELECT ON provider_refresh_pauses FROM brand_app;

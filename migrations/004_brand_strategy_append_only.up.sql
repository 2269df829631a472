-- Brand strategy versions are history: the application may append one but never rewrite or remove it
-- (003 revoked UPDATE). Deleting a user still removes them: the ON DELETE CASCADE from users runs with the
-- table owner's rights, not the application's.
REVOKE DELETE ON brand_strategy FROM brand_app;

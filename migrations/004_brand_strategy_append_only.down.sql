GRANT DELETE ON brand_strategy TO brand_app;

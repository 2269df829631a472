-- Tenant data. Every table: user_id NOT NULL referencing users with ON DELETE CASCADE, RLS enabled and forced,
-- a keyset index (user_id, created_at, id), and UNIQUE (user_id, id) so that other tenant tables can reference
-- it with a composite foreign key: a row can then never point at another tenant's row, because foreign-key
-- checks bypass RLS but cannot bypass a key that includes user_id.

CREATE TABLE brand_strategy (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  version         integer NOT NULL CHECK (version >= 1),
  mission         text NOT NULL DEFAULT '' CHECK (length(mission) <= 5000),
  vision          text NOT NULL DEFAULT '' CHECK (length(vision) <= 5000),
  "values"        text[] NOT NULL DEFAULT '{}',
  target_audience text NOT NULL DEFAULT '' CHECK (length(target_audience) <= 5000),
  positioning     text NOT NULL DEFAULT '' CHECK (length(positioning) <= 5000),
  tone_of_voice   text NOT NULL DEFAULT '' CHECK (length(tone_of_voice) <= 5000),
  brand_colors    text[] NOT NULL DEFAULT '{}',
  brand_fonts     text[] NOT NULL DEFAULT '{}',
  logo_url        text CHECK (logo_url ~ '^https://'),
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (user_id, version),
  UNIQUE (user_id, id)
);
CREATE INDEX brand_strategy_page ON brand_strategy (user_id, created_at, id);

CREATE TABLE competitors (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  website     text,
  description text,
  strengths   text[] NOT NULL DEFAULT '{}',
  weaknesses  text[] NOT NULL DEFAULT '{}',
  notes       text,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (user_id, id)
);
-- Unique per user and case-insensitive: two users may both track "Acme".
CREATE UNIQUE INDEX competitors_name_per_user ON competitors (user_id, lower(name));
CREATE INDEX competitors_page ON competitors (user_id, created_at, id);

CREATE TABLE brand_voice_assets (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  category       text NOT NULL CHECK (category IN
                   ('brand_guidelines', 'tone_of_voice', 'messaging', 'visual_identity', 'sample_content', 'other')),
  content        text NOT NULL CHECK (octet_length(content) <= 1048576),
  file_name      text,
  mime_type      text,
  source         text NOT NULL DEFAULT 'upload' CHECK (source IN ('upload', 'google_drive', 'onedrive', 'dropbox')),
  source_file_id text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (user_id, id)
);
CREATE INDEX brand_voice_assets_page ON brand_voice_assets (user_id, created_at, id);
CREATE INDEX brand_voice_assets_category ON brand_voice_assets (user_id, category, created_at, id);

CREATE TABLE content_library (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  body         text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
  content_type text NOT NULL CHECK (content_type IN ('blog_post', 'social_post', 'email', 'ad', 'video_script', 'other')),
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_review', 'approved', 'archived')),
  tags         text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (user_id, id)
);
CREATE INDEX content_library_page ON content_library (user_id, created_at, id);

CREATE TABLE content_calendar (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content_id    uuid NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('linkedin', 'twitter', 'facebook', 'instagram', 'blog', 'email', 'other')),
  scheduled_for timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'published', 'cancelled')),
  notes         text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (user_id, id),
  CONSTRAINT content_calendar_content_fk FOREIGN KEY (user_id, content_id)
    REFERENCES content_library (user_id, id) ON DELETE CASCADE
);
CREATE INDEX content_calendar_page ON content_calendar (user_id, created_at, id);
CREATE INDEX content_calendar_scheduled ON content_calendar (user_id, scheduled_for);
CREATE INDEX content_calendar_content ON content_calendar (user_id, content_id);

CREATE TABLE published_posts (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content_id        uuid,
  calendar_entry_id uuid,
  channel           text NOT NULL CHECK (channel IN ('linkedin', 'twitter', 'facebook', 'instagram', 'blog', 'email', 'other')),
  url               text,
  published_at      timestamptz NOT NULL,
  metrics           jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metrics) = 'object'),
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (user_id, id),
  -- Deleting the referenced content or calendar entry keeps the post and clears only the reference column.
  CONSTRAINT published_posts_content_fk FOREIGN KEY (user_id, content_id)
    REFERENCES content_library (user_id, id) ON DELETE SET NULL (content_id),
  CONSTRAINT published_posts_calendar_entry_fk FOREIGN KEY (user_id, calendar_entry_id)
    REFERENCES content_calendar (user_id, id) ON DELETE SET NULL (calendar_entry_id)
);
CREATE INDEX published_posts_page ON published_posts (user_id, created_at, id);
CREATE INDEX published_posts_content ON published_posts (user_id, content_id);
CREATE INDEX published_posts_calendar_entry ON published_posts (user_id, calendar_entry_id);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['brand_strategy', 'competitors', 'brand_voice_assets', 'content_library',
                           'content_calendar', 'published_posts']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY %I ON %I
      USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
      WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid)$p$, t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO brand_app', t);
  END LOOP;
END
$$;
-- Versions are history: the application may add one but never rewrite it.
REVOKE UPDATE ON brand_strategy FROM brand_app;

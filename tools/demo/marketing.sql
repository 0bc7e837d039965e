-- The demo warehouse's second database, `marketing`, where enable_case_sensitive_identifier is
-- on: quoted identifiers keep their case, so "WebClicks" and webclicks are different tables.
-- (With the setting off, the default, Redshift folds even quoted identifiers to lower case.)
-- Loaded by `schemaport demo` as the PostgreSQL superuser.

ALTER DATABASE marketing SET emulator.enable_case_sensitive_identifier = on;

CREATE SCHEMA campaigns;
COMMENT ON SCHEMA campaigns IS 'Marketing campaigns and their results';

CREATE TABLE campaigns.campaign (
  campaignid integer NOT NULL PRIMARY KEY,
  name varchar(100) NOT NULL,
  channel varchar(20),
  starts date,
  ends date,
  budget decimal(12,2));
COMMENT ON TABLE campaigns.campaign IS 'One row per marketing campaign';
COMMENT ON COLUMN campaigns.campaign.channel IS 'email, search, social or display';

CREATE TABLE campaigns."WebClicks" (
  "ClickId" bigint NOT NULL PRIMARY KEY,
  "CampaignId" integer REFERENCES campaigns.campaign (campaignid),
  "ClickedAt" timestamp,
  "LandingPage" varchar(2048));
COMMENT ON TABLE campaigns."WebClicks" IS 'Clicks on campaign links (mixed-case quoted names)';
COMMENT ON COLUMN campaigns."WebClicks"."LandingPage" IS 'URL the click led to';

INSERT INTO campaigns.campaign VALUES (1, 'Spring opera season', 'email', '2008-03-01', '2008-04-30', 5000.00);
INSERT INTO campaigns."WebClicks" VALUES (1, 1, '2008-03-02 10:15:00', 'https://tickit.example.com/opera');

GRANT USAGE ON SCHEMA campaigns TO PUBLIC;
GRANT SELECT ON campaigns.campaign, campaigns."WebClicks" TO PUBLIC;

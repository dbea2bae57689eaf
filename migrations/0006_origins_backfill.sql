-- Every outbound message before this release gets the origin its dedupe key names: a reminder's key is
-- campaign:<recipient id>[:<attempt>], a reply's reply:<wamid>:<n>, an officer's words handoff:<id>:agent:<uuid>;
-- the rest (returns to the bot, link request notices and decisions, re-engagement) are notices.
UPDATE "messages" AS m SET
  "origin_kind" = 'campaign',
  "campaign_recipient_id" = substring(m."dedupe_key" from '^campaign:([0-9]+)')::bigint,
  "campaign_attempt" = coalesce(substring(m."dedupe_key" from '^campaign:[0-9]+:([0-9]+)$')::integer, 0)
WHERE m."direction" = 'out' AND m."dedupe_key" ~ '^campaign:[0-9]{1,18}(:[0-9]{1,9})?$'
  AND EXISTS (
    SELECT 1 FROM "campaign_recipients" r
    WHERE r."id" = substring(m."dedupe_key" from '^campaign:([0-9]+)')::bigint);
--> statement-breakpoint
UPDATE "messages" SET "origin_kind" = 'reply'
WHERE "direction" = 'out' AND "origin_kind" IS NULL AND "dedupe_key" LIKE 'reply:%';
--> statement-breakpoint
UPDATE "messages" SET "origin_kind" = 'agent'
WHERE "direction" = 'out' AND "origin_kind" IS NULL AND "dedupe_key" ~ '^handoff:[0-9]+:agent:';
--> statement-breakpoint
UPDATE "messages" SET "origin_kind" = 'notice' WHERE "direction" = 'out' AND "origin_kind" IS NULL;

ALTER TABLE "campaign_status_cursor" RENAME TO "outbound_status_cursor";--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "audience_cursor" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "origin_kind" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "campaign_recipient_id" bigint;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "campaign_attempt" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_campaign_recipient_id_campaign_recipients_id_fk" FOREIGN KEY ("campaign_recipient_id") REFERENCES "public"."campaign_recipients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_campaign_origin_key" ON "messages" USING btree ("campaign_recipient_id","campaign_attempt") WHERE "messages"."campaign_recipient_id" is not null;
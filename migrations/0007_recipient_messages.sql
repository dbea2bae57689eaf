ALTER TABLE "campaign_recipients" DROP CONSTRAINT "campaign_recipients_message_id_messages_id_fk";
--> statement-breakpoint
DROP INDEX "campaign_recipients_message_idx";--> statement-breakpoint
ALTER TABLE "campaign_recipients" DROP COLUMN "message_id";--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_campaign_origin" CHECK (case when "messages"."origin_kind" = 'campaign'
        then "messages"."campaign_recipient_id" is not null and "messages"."campaign_attempt" is not null
        else "messages"."campaign_recipient_id" is null and "messages"."campaign_attempt" is null end);
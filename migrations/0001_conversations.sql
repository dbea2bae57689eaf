CREATE TABLE "verifications" (
	"contact_key" text PRIMARY KEY NOT NULL,
	"participant_id" integer,
	"verified_until" timestamp with time zone,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"link_failed_attempts" integer DEFAULT 0 NOT NULL,
	"link_locked_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "language" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "handled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "verifications" ADD CONSTRAINT "verifications_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_unhandled_idx" ON "messages" USING btree ("contact_key","occurred_at","id") WHERE "messages"."direction" = 'in' and "messages"."handled_at" is null;
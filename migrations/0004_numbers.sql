CREATE TABLE "contact_links" (
	"contact_key" text PRIMARY KEY NOT NULL,
	"participant_id" integer NOT NULL,
	"link_request_id" integer,
	"approved_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kpj_link_attempts" (
	"kpj" text PRIMARY KEY NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"contact_key" text NOT NULL,
	"participant_id" integer NOT NULL,
	"registered_wa_id" text,
	"handoff_id" integer,
	"notice_message_id" bigint,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "contacts" DROP CONSTRAINT "contacts_participant_id_participants_id_fk";
--> statement-breakpoint
ALTER TABLE "contact_links" ADD CONSTRAINT "contact_links_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_links" ADD CONSTRAINT "contact_links_link_request_id_link_requests_id_fk" FOREIGN KEY ("link_request_id") REFERENCES "public"."link_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_requests" ADD CONSTRAINT "link_requests_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_requests" ADD CONSTRAINT "link_requests_handoff_id_handoffs_id_fk" FOREIGN KEY ("handoff_id") REFERENCES "public"."handoffs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_requests" ADD CONSTRAINT "link_requests_notice_message_id_messages_id_fk" FOREIGN KEY ("notice_message_id") REFERENCES "public"."messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contact_links_participant_idx" ON "contact_links" USING btree ("participant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "link_requests_pending_contact_key" ON "link_requests" USING btree ("contact_key") WHERE "link_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "link_requests_handoff_idx" ON "link_requests" USING btree ("handoff_id");--> statement-breakpoint
ALTER TABLE "contacts" DROP COLUMN "participant_id";
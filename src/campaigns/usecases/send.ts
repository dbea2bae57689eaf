import {
  findTemplate,
  renderTemplate,
  type TemplateBill,
  type TemplateDefinition,
  templateLanguageFor,
} from '../../../templates/index.js';
import type { Campaign } from '../../db/index.js';
import { localDate } from '../../local-time.js';
import type { OutboundRequest } from '../../outbound/index.js';
import { type Reminder, skipReminder, type UnpaidOfParticipant, unpaidBillsOf } from '../repository/index.js';
import type { CampaignContext } from './context.js';
import { pauseForAlert } from './control.js';

// Claimed reminders rendered and handed to the one sender: each message names its reminder and attempt as
// its origin, so the sender's guard and outcomes find the reminder without anything else to link.

/** reminders handed to the sender in one batch */
const ENQUEUE_BATCH = 500;

/** The idempotency key of a reminder's attempt: enqueueing it twice makes one message. */
export const dedupeKeyFor = (recipientId: number, attempts: number): string =>
  attempts === 0 ? `campaign:${recipientId}` : `campaign:${recipientId}:${attempts}`;

export async function handOver(
  ctx: CampaignContext,
  c: Campaign,
  claimed: readonly Reminder[],
): Promise<void> {
  const def = findTemplate(c.templateName);
  if (!def) {
    await pauseForAlert(ctx, ctx.db, c.id, {
      reason: `template ${c.templateName} is no longer in the registry`,
      alert: 'unknown_template',
    });
    return;
  }
  const unpaid = await unpaidBillsOf(
    ctx.db,
    claimed.map((r) => r.participantId),
  );
  const byParticipant = new Map<number, UnpaidOfParticipant[]>();
  for (const f of unpaid) {
    const list = byParticipant.get(f.participantId) ?? [];
    list.push(f);
    byParticipant.set(f.participantId, list);
  }
  // Render every reminder of the page first, then hand them to the sender in one batch: one statement
  // for the ids, one for the rows, one for the jobs.
  const today = localDate(ctx.now(), ctx.hours.timeZone);
  const ready: OutboundRequest[] = [];
  for (const r of claimed) {
    const rendered = render(ctx, c, { def, today }, r, byParticipant.get(r.participantId) ?? []);
    if ('skip' in rendered) {
      if (await skipReminder(ctx.db, { id: r.id, attempt: r.attempts }, rendered.skip)) {
        ctx.metrics?.campaignSkips.inc({ reason: rendered.skip });
      }
    } else ready.push(rendered);
  }
  for (let k = 0; k < ready.length; k += ENQUEUE_BATCH) {
    await ctx.outbound.enqueueMany(ready.slice(k, k + ENQUEUE_BATCH));
  }
}

/** The reminder's message, or why it has none (its bill paid since, or the template not renderable). */
function render(
  ctx: CampaignContext,
  c: Campaign,
  { def, today }: { def: TemplateDefinition; today: string },
  r: Reminder,
  unpaidRows: readonly UnpaidOfParticipant[],
): OutboundRequest | { skip: string } {
  const i = unpaidRows.findIndex((f) => f.billId === r.billId);
  const who = unpaidRows[0];
  if (i < 0 || !who) return { skip: 'paid' };
  const unpaid: TemplateBill[] = unpaidRows.map((f) => ({
    period: f.period,
    dueDate: f.dueDate,
    outstanding: f.outstanding,
  }));
  const language = templateLanguageFor(def, who.language, c.templateLanguage);
  try {
    const body = renderTemplate(
      def,
      who.waId,
      {
        participant: { name: who.name, language: who.language },
        bill: unpaid[i]!,
        unpaid,
        today,
      },
      language,
    );
    return {
      contactKey: who.waId,
      participantId: r.participantId,
      body,
      priority: 'blast',
      origin: { kind: 'campaign', recipientId: r.id, attempt: r.attempts },
      dedupeKey: dedupeKeyFor(r.id, r.attempts),
      templateName: def.name,
    };
  } catch (err) {
    ctx.log.warn({ campaignId: c.id, recipientId: r.id, err }, 'campaign: template not renderable');
    return { skip: 'render_failed' };
  }
}

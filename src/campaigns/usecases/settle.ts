import type { Tx } from '../../db/index.js';
import type { OutcomeHandler, OutcomeReport } from '../../outbound/index.js';
import { markWhatsappUnreachable } from '../../participants/index.js';
import {
  type ReminderKey,
  remindersOf,
  reopenCompleted,
  requeueReminder,
  settleReminders,
  skipReminder,
} from '../repository/index.js';
import type { CampaignContext } from './context.js';
import { pauseForAlert } from './control.js';
import { type Consequence, decide } from './decide.js';
import { PAUSED } from './guard.js';

// What the sender tells the campaigns room about each reminder's message, in the transaction that records
// it: its message left the sender (the reminder is no longer in flight), a skip its guard decided, a failure
// and what it means (decide.ts), and the category Meta billed. Every step is keyed on the reminder's attempt,
// so a report of an older attempt, or one told twice, changes nothing.

type Report = OutcomeReport<'campaign'>;
const keyOf = (r: Report): ReminderKey => ({ id: r.origin.recipientId, attempt: r.origin.attempt });

export function campaignOutcomes(
  ctx: Pick<CampaignContext, 'metrics' | 'log' | 'now'>,
): OutcomeHandler<'campaign'> {
  return async (tx, reports) => {
    const done = reports.filter((r) => r.outcome.kind === 'accepted' || r.outcome.kind === 'failed');
    await settleReminders(tx, done.map(keyOf));
    for (const r of reports) {
      if (r.outcome.kind === 'skipped') await skipped(tx, keyOf(r), r.outcome.reason);
    }
    const telling = reports.filter((r) => r.outcome.kind === 'failed' || r.outcome.kind === 'billed');
    if (telling.length === 0) return;
    const reminders = await remindersOf(tx, telling.map(keyOf));
    for (const r of telling) {
      const reminder = reminders.get(r.origin.recipientId);
      if (!reminder) continue;
      await act(tx, keyOf(r), reminder, decide(r.outcome, reminder, ctx.now()));
    }
  };

  async function skipped(tx: Tx, key: ReminderKey, reason: string) {
    // paused: back to pending as the next attempt, sent after resume
    if (reason === PAUSED) await requeueReminder(tx, key, null);
    else if (await skipReminder(tx, key, reason)) ctx.metrics?.campaignSkips.inc({ reason });
  }

  async function act(
    tx: Tx,
    key: ReminderKey,
    reminder: { campaignId: number; participantId: number },
    consequence: Consequence,
  ) {
    switch (consequence.kind) {
      case 'unreachable':
        await markWhatsappUnreachable(tx, reminder.participantId);
        return;
      case 'retry':
        if (await requeueReminder(tx, key, consequence.notBefore))
          await reopenCompleted(tx, reminder.campaignId);
        return;
      case 'pause':
        await pauseForAlert(ctx, tx, reminder.campaignId, consequence);
        return;
      case 'none':
        return;
    }
  }
}

import { randomUUID } from 'node:crypto';
import { type Language, PAY_CHANNELS } from '../../flows/index.js';
import { findTemplate, renderTemplate, templateLanguageFor } from '../../templates/index.js';
import type { Config } from '../config.js';
import type { Db, OriginKind } from '../db/index.js';
import type { NoTemplateWhy } from '../errors/index.js';
import type { Translator } from '../i18n/index.js';
import { localDate } from '../local-time.js';
import { conversationHistory, hasMessageWithDedupeKey } from '../messages/index.js';
import type { Outbound } from '../outbound/index.js';
import {
  closeLinkRequests,
  consentHistory,
  decideLinkRequest,
  findParticipantById,
  getBalance,
  type LinkDecision,
  type LinkRequest,
  linkRequestOfHandoff,
  recentPayments,
} from '../participants/index.js';
import { isWindowOpen, type OutboundBody, textMessage, windowClosesAt } from '../whatsapp/index.js';
import {
  auditHandoff,
  claimWaiting,
  countOpen,
  findHandoffRow,
  type HandoffRow,
  type HandoffStatus,
  IDLE_RETURN,
  latestHandoffRowOf,
  listHandoffRows,
  resolveIdleSince,
  resolveIfAllowed,
  touchHandoff,
  touchIfHeld,
  wasReturnedIdle,
} from './handoffs.repository.js';
import { CANNED_FAQ_KEYS, HANDOFF_KEYS } from './keys.js';

// The rules of who holds a conversation, over the handoff room's repository (handoffs.repository.ts).

export type { HandoffStatus };

/** the bot owes a participant the notice that it took back a conversation for this long, at most */
const NOTICE_HORIZON_MS = 7 * 24 * 3600 * 1000;
/** how the re-engagement template is chosen: the one whose button 2 asks for an officer */
export const REENGAGE_TEMPLATE = 'iuran_overdue';

export interface HandoffSummary {
  id: number;
  /** wa_id, or the BSUID of a sender WhatsApp shows only by one */
  waId: string;
  kpj?: string;
  name?: string;
  status: HandoffStatus;
  reason: string;
  createdAt: string;
  assignedTo?: string;
  assignedAt?: string;
  resolvedAt?: string;
  lastMessageAt: string;
  /** the newest message of the conversation, either direction: changes whenever someone writes */
  lastMessageId: number | null;
  /** waiting longer than HANDOFF_OVERDUE_MINUTES */
  overdue: boolean;
  /** when free-form replies stop being possible; null: the participant never wrote */
  windowClosesAt: string | null;
  language: Language;
}

/** Why an agent's action was refused; each maps to 404 or 409 with a sentence an agent can act on. */
export type Refusal =
  | { reason: 'not_found' }
  | { reason: 'resolved' }
  | { reason: 'held'; assignedTo: string | null }
  | { reason: 'not_claimed' }
  | { reason: 'window_closed'; windowClosedAt: string | null; reengage: ReengageOffer | null }
  | { reason: 'no_template'; detail: NoTemplateWhy }
  /** no undecided link request in this conversation */
  | { reason: 'no_link_request' }
  /** someone has since been registered on the sender's number, which is theirs now */
  | { reason: 'number_registered' };

export interface ReengageOffer {
  template: string;
  language: 'id' | 'en';
  method: 'POST';
  url: string;
}

export type Result<T> = ({ ok: true } & T) | ({ ok: false } & Refusal);

export interface Agent {
  /** the API key's name: what the audit log and `assignedTo` record */
  name: string;
  role: 'admin' | 'agent';
}

export interface DeskDeps {
  db: Db;
  outbound: Outbound;
  t: Translator;
  config: Pick<Config, 'handoff' | 'businessTz'>;
  now?: () => Date;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);
const rupiah = (n: number) => `Rp${new Intl.NumberFormat('id-ID').format(n)}`;
const actorOf = (agent: Agent) => `key:${agent.name}`;
/** the notice that the bot has the conversation again goes once per handoff */
const returnedKey = (id: number) => `handoff:${id}:returned`;

export function createDesk(deps: DeskDeps) {
  const { db, t } = deps;
  const now = deps.now ?? (() => new Date());
  const overdueMs = deps.config.handoff.overdueMinutes * 60_000;
  const idleMs = deps.config.handoff.idleHours * 3600_000;

  type Row = HandoffRow;

  const closesAt = (row: Pick<Row, 'lastInboundAt'>) => windowClosesAt(row.lastInboundAt);
  const windowOpen = (row: Pick<Row, 'lastInboundAt'>, at = now()) => isWindowOpen(row.lastInboundAt, at);
  const languageOf = (row: Row): Language => row.participantLanguage ?? row.contactLanguage ?? 'id';
  const recipientOf = (row: Row) => row.waId ?? row.userId ?? row.contactKey;

  function summary(row: Row, at = now()): HandoffSummary {
    const name = row.name ?? row.profileName ?? undefined;
    return {
      id: row.id,
      waId: row.waId ?? row.contactKey,
      ...(row.kpj ? { kpj: row.kpj } : {}),
      ...(name ? { name } : {}),
      status: row.status,
      reason: row.reason,
      createdAt: row.createdAt.toISOString(),
      ...(row.assignedTo ? { assignedTo: row.assignedTo } : {}),
      ...(row.assignedAt ? { assignedAt: iso(row.assignedAt) } : {}),
      ...(row.resolvedAt ? { resolvedAt: iso(row.resolvedAt) } : {}),
      lastMessageAt: row.lastMessageAt.toISOString(),
      lastMessageId: row.lastMessageId,
      overdue: row.status === 'waiting' && at.getTime() - row.createdAt.getTime() > overdueMs,
      windowClosesAt: iso(closesAt(row)) ?? null,
      language: languageOf(row),
    };
  }

  const load = (id: number) => findHandoffRow(db, id);

  /** Why `agent` may not act on this handoff now, or null when it may (it holds it). */
  function refusalFor(row: Row | null, agent: Agent): Refusal | null {
    if (!row) return { reason: 'not_found' };
    if (row.status === 'resolved') return { reason: 'resolved' };
    if (row.status === 'waiting') return { reason: 'not_claimed' };
    if (row.assignedTo !== agent.name) return { reason: 'held', assignedTo: row.assignedTo };
    return null;
  }

  const audit = (actor: string, action: string, id: number, details?: Record<string, unknown>) =>
    auditHandoff(db, [{ actor, action, id, ...(details ? { details } : {}) }]);

  /** `origin`: an officer's own words ('agent'), or what the inbox says on the service's behalf ('notice') */
  async function send(
    row: Row,
    origin: 'agent' | 'notice',
    body: OutboundBody,
    dedupeKey: string,
    text: string | null,
    templateName?: string,
  ) {
    return deps.outbound.enqueue({
      contactKey: row.contactKey,
      participantId: row.participantId,
      body,
      priority: 'reply',
      origin: { kind: origin },
      dedupeKey,
      text,
      ...(templateName ? { templateName } : {}),
    });
  }

  /**
   * Tells the participant the bot has the conversation again. Free-form only goes inside the window; when
   * it has closed (always so after an idle return at the default 24 hours) the notice waits for the
   * participant's next message, which opens it again (see noticeOnInbound).
   */
  async function tellReturned(row: Row, kind: 'resolved' | 'idle'): Promise<boolean> {
    if (!windowOpen(row)) return false;
    const lang = languageOf(row);
    const text =
      kind === 'idle'
        ? t(lang, HANDOFF_KEYS.idleReturned, { hours: deps.config.handoff.idleHours })
        : t(lang, HANDOFF_KEYS.resolved);
    await send(row, 'notice', textMessage(recipientOf(row), text), returnedKey(row.id), text);
    return true;
  }

  /**
   * The handoff's participant is still registered on the conversation's number: the only case in which a
   * template naming their arrears may go to it, as with campaign reminders.
   */
  const speaksForParticipant = (row: Row) => row.participantId !== null && row.participantWaId === row.waId;

  function reengageOffer(row: Row): ReengageOffer | null {
    const def = findTemplate(REENGAGE_TEMPLATE);
    if (!def || !speaksForParticipant(row) || row.optedOut) return null;
    return {
      template: def.name,
      language: templateLanguageFor(def, languageOf(row), 'id'),
      method: 'POST',
      url: `/api/handoffs/${row.id}/reengage`,
    };
  }

  return {
    summary,

    async list(status?: HandoffStatus): Promise<HandoffSummary[]> {
      const at = now();
      return (await listHandoffRows(db, status)).map((r) => summary(r, at));
    },

    /** Open handoffs by status, and the waiting ones past HANDOFF_OVERDUE_MINUTES: the /metrics gauges. */
    async counts(): Promise<{ waiting: number; assigned: number; overdue: number }> {
      return countOpen(db, new Date(now().getTime() - overdueMs));
    },

    async claim(id: number, agent: Agent): Promise<Result<{ handoff: HandoffSummary }>> {
      const at = now();
      // One statement decides: a waiting handoff becomes this agent's; the loser of a race matches no row.
      const won = await claimWaiting(db, id, agent.name, at);
      const row = await load(id);
      if (won) {
        await audit(actorOf(agent), 'handoff.claim', id);
        return { ok: true, handoff: summary(row!, at) };
      }
      const refusal = refusalFor(row, agent);
      // claiming what one already holds is a no-op, not a conflict
      if (refusal === null) return { ok: true, handoff: summary(row!, at) };
      return { ok: false, ...refusal };
    },

    async reply(
      id: number,
      agent: Agent,
      text: string,
    ): Promise<Result<{ messageId: number; windowClosesAt: string | null }>> {
      const row = await load(id);
      const refusal = refusalFor(row, agent);
      if (refusal) return { ok: false, ...refusal };
      const held = row!;
      const at = now();
      if (!windowOpen(held, at)) {
        return {
          ok: false,
          reason: 'window_closed',
          windowClosedAt: iso(closesAt(held)) ?? null,
          reengage: reengageOffer(held),
        };
      }
      // The hold is checked again in the same statement that records the activity.
      if (!(await touchIfHeld(db, id, agent.name, at)))
        return { ok: false, ...(refusalFor(await load(id), agent) ?? { reason: 'resolved' }) };
      const sent = await send(
        held,
        'agent',
        textMessage(recipientOf(held), text),
        `handoff:${id}:agent:${randomUUID()}`,
        text,
      );
      // the audit keeps who and when; the words stay in the message history only
      await audit(actorOf(agent), 'handoff.reply', id, {
        messageId: sent.messageId,
        chars: Array.from(text).length,
      });
      return { ok: true, messageId: sent.messageId, windowClosesAt: iso(closesAt(held)) ?? null };
    },

    async resolve(id: number, agent: Agent): Promise<Result<{ handoff: HandoffSummary; notified: boolean }>> {
      const at = now();
      const done = await resolveIfAllowed(db, id, { name: agent.name, admin: agent.role === 'admin' }, at);
      const row = await load(id);
      if (!done) {
        const refusal = refusalFor(row, agent);
        return {
          ok: false,
          ...(refusal && refusal.reason !== 'not_claimed' ? refusal : { reason: 'resolved' }),
        };
      }
      await audit(actorOf(agent), 'handoff.resolve', id);
      await closeLinkRequests(db, [id], actorOf(agent));
      const notified = await tellReturned(row!, 'resolved');
      return { ok: true, handoff: summary(row!, at), notified };
    },

    /**
     * The holder's decision on the conversation's link request; the sender is told in their language while
     * the window is open (it is: they have just written), and otherwise sees it at the officer's next word.
     */
    async decideLink(
      id: number,
      agent: Agent,
      decision: LinkDecision,
    ): Promise<Result<{ linkRequest: LinkRequest; notified: boolean }>> {
      const row = await load(id);
      const refusal = refusalFor(row, agent);
      if (refusal) return { ok: false, ...refusal };
      const decided = await decideLinkRequest(db, {
        handoffId: id,
        decision,
        actor: actorOf(agent),
        now: now(),
      });
      if (!decided.ok) return { ok: false, reason: decided.reason };
      const held = row!;
      let notified = false;
      if (windowOpen(held)) {
        const key = decision === 'approve' ? HANDOFF_KEYS.linkApproved : HANDOFF_KEYS.linkRejected;
        const text = t(languageOf(held), key);
        await send(
          held,
          'notice',
          textMessage(recipientOf(held), text),
          `link_request:${decided.request.id}:decision`,
          text,
        );
        notified = true;
      }
      return { ok: true, linkRequest: decided.request, notified };
    },

    /** Sends the re-engagement template: its "talk to an officer" button reopens the window when tapped. */
    async reengage(id: number, agent: Agent): Promise<Result<{ messageId: number; duplicate: boolean }>> {
      const row = await load(id);
      const refusal = refusalFor(row, agent);
      if (refusal) return { ok: false, ...refusal };
      const held = row!;
      const def = findTemplate(REENGAGE_TEMPLATE);
      if (!def) return { ok: false, reason: 'no_template', detail: 'not_in_registry' };
      if (!held.participantId || !speaksForParticipant(held) || held.optedOut) {
        return {
          ok: false,
          reason: 'no_template',
          detail: !speaksForParticipant(held) ? 'not_registered_number' : 'opted_out',
        };
      }
      const balance = await getBalance(db, held.participantId);
      const unpaid = balance.unpaid.filter((b) => b.outstanding > 0);
      if (unpaid.length === 0) {
        return {
          ok: false,
          reason: 'no_template',
          detail: 'nothing_owed',
        };
      }
      const language = templateLanguageFor(def, languageOf(held), 'id');
      const today = localDate(now(), deps.config.businessTz);
      const bills = unpaid.map((b) => ({ period: b.period, outstanding: b.outstanding, dueDate: b.dueDate }));
      const body = renderTemplate(
        def,
        recipientOf(held),
        {
          participant: { name: held.name ?? '', language: languageOf(held) },
          bill: bills[0]!,
          unpaid: bills,
          today,
        },
        language,
      );
      // once a day per handoff: a second click the same day is the same message
      const sent = await send(held, 'notice', body, `handoff:${id}:reengage:${today}`, null, def.name);
      if (!sent.duplicate) {
        await touchHandoff(db, id, now());
        await audit(actorOf(agent), 'handoff.reengage', id, {
          messageId: sent.messageId,
          template: def.name,
        });
      }
      return { ok: true, ...sent };
    },

    /** The agent's view: the handoff, who it is, what they owe and paid, consent, and every message. */
    async view(id: number) {
      const row = await load(id);
      if (!row) return null;
      const at = now();
      const participant = row.participantId ? await findParticipantById(db, row.participantId) : null;
      const balance = participant ? await getBalance(db, participant.id) : null;
      const paid = participant ? await recentPayments(db, participant.id, 10) : [];
      const ledger = participant ? await consentHistory(db, participant.id, 10) : [];
      // the newest 500, oldest first: a long history stays fast, and its end is what matters here
      const history = await conversationHistory(db, row.contactKey, 500);
      const linkRequest = await linkRequestOfHandoff(db, id);
      return {
        handoff: summary(row, at),
        linkRequest,
        contact: {
          contactKey: row.contactKey,
          waId: row.waId,
          profileName: row.profileName,
          lastInboundAt: iso(row.lastInboundAt) ?? null,
        },
        participant: participant
          ? {
              kpj: participant.kpj,
              name: participant.name,
              category: participant.category,
              language: participant.language,
              // the bot discloses bills only to this number; an agent should know when they talk to another
              registeredNumber: participant.waId === row.waId,
            }
          : null,
        window: { open: windowOpen(row, at), closesAt: iso(closesAt(row)) ?? null },
        bills: balance
          ? {
              unpaid: balance.unpaid.map((b) => ({
                period: b.period,
                amount: b.amount,
                outstanding: b.outstanding,
                dueDate: b.dueDate,
              })),
              total: balance.total,
            }
          : null,
        payments: paid.map((p) => ({ ...p, paidAt: p.paidAt.toISOString() })),
        consent: participant
          ? {
              optedOut: participant.optedOut,
              history: ledger.map((c) => ({ ...c, createdAt: c.createdAt.toISOString() })),
            }
          : null,
        messages: history.map((m) => ({
          id: m.id,
          direction: m.direction,
          author: authorOf(m.direction, m.originKind),
          type: m.type,
          text: m.text ?? tappedTitle(m.payload),
          ...(m.replyId ? { replyId: m.replyId } : {}),
          ...(m.templateName ? { templateName: m.templateName } : {}),
          status: m.status,
          at: m.occurredAt.toISOString(),
          ...(m.priority ? { priority: m.priority } : {}),
          ...(m.errorCode ? { errorCode: m.errorCode, errorTitle: m.errorTitle } : {}),
        })),
      };
    },

    /**
     * Canned answers from the locale texts, in the participant's language. Payment steps carry the code
     * and amount only when the conversation is with the participant's registered number, the same rule
     * the bot keeps; otherwise the agent fills them in after checking who writes.
     */
    async canned(id: number): Promise<{ key: string; text: string }[] | null> {
      const row = await load(id);
      if (!row) return null;
      const lang = languageOf(row);
      const out: { key: string; text: string }[] = CANNED_FAQ_KEYS.map((key) => ({
        key,
        text: t(lang, key),
      }));
      let code = '…';
      let amount = '…';
      let kpj = t(lang, 'pay.kpj_on_card');
      if (row.participantId && row.kpj && row.participantWaId === row.waId) {
        const balance = await getBalance(db, row.participantId);
        const first = balance.unpaid[0];
        if (first) {
          code = first.paymentCode;
          amount = rupiah(balance.total);
        }
        kpj = row.kpj;
      }
      for (const channel of PAY_CHANNELS) {
        const key = `pay.steps.${channel}`;
        out.push({ key, text: t(lang, key, { code, amount, kpj }) });
      }
      return out;
    },

    /**
     * Returns to the bot every open handoff where nobody has written for HANDOFF_IDLE_HOURS, and tells
     * each participant (now, or at their next message when the window has closed).
     */
    async returnIdle(): Promise<number[]> {
      const at = now();
      const cutoff = new Date(at.getTime() - idleMs);
      const returned = await db.transaction(async (tx) => {
        const ids = await resolveIdleSince(tx, cutoff, at);
        const details = { idleHours: deps.config.handoff.idleHours };
        await auditHandoff(
          tx,
          ids.map((id) => ({ actor: 'system', action: IDLE_RETURN, id, details })),
        );
        return ids;
      });
      await closeLinkRequests(db, returned, 'system');
      for (const id of returned) {
        const row = await load(id);
        if (row) await tellReturned(row, 'idle');
      }
      return returned;
    },

    /**
     * Called as a participant's messages arrive, before the bot answers them: a notice of a return that
     * could not go out (the window had closed) goes now, first, once (its dedupe key is the handoff's).
     */
    async noticeOnInbound(contactKeys: Iterable<string>): Promise<void> {
      const horizon = new Date(now().getTime() - NOTICE_HORIZON_MS);
      for (const contactKey of new Set(contactKeys)) {
        const latest = await latestHandoffRowOf(db, contactKey);
        if (latest?.status !== 'resolved' || !latest.resolvedAt || latest.resolvedAt < horizon) continue;
        if (await hasMessageWithDedupeKey(db, returnedKey(latest.id))) continue;
        await tellReturned(latest, (await wasReturnedIdle(db, latest.id)) ? 'idle' : 'resolved');
      }
    },
  };
}

export type Desk = ReturnType<typeof createDesk>;

/** Who wrote a message, for the agent's view: the participant, an officer, or the bot. */
function authorOf(direction: 'in' | 'out', origin: OriginKind | null): 'participant' | 'agent' | 'bot' {
  if (direction === 'in') return 'participant';
  return origin === 'agent' ? 'agent' : 'bot';
}

/** The words of a tapped button or list row, kept only in the raw inbound message. */
function tappedTitle(payload: unknown): string | null {
  const p = payload as {
    button?: { text?: string };
    interactive?: { button_reply?: { title?: string }; list_reply?: { title?: string } };
  } | null;
  return p?.button?.text ?? p?.interactive?.button_reply?.title ?? p?.interactive?.list_reply?.title ?? null;
}

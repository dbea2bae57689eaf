// Locale keys the handoff room speaks to participants itself (the agent's own words are not in locales).
export const HANDOFF_KEYS = {
  resolved: 'handoff.resolved',
  idleReturned: 'handoff.idle_returned',
  linkApproved: 'link.approved',
  linkRejected: 'link.rejected',
} as const;

/** Texts an agent may insert into a reply: the office's address and hours, common answers, payment steps. */
export const CANNED_FAQ_KEYS = [
  'faq.office',
  'faq.jmo',
  'faq.late',
  'faq.bpu_amount',
  'faq.register',
] as const;

// The Cloud API's customer-service window: a participant's message opens it for 24 hours;
// inside it any message may go, outside it only a template. The one place the rule is written.

const SERVICE_WINDOW_MS = 24 * 3600 * 1000;

/** The window's length as a PostgreSQL interval, for statements that ask the same question in SQL. */
export const SERVICE_WINDOW_INTERVAL = `${SERVICE_WINDOW_MS} milliseconds`;

/** When free-form messages stop being possible; null: the contact never wrote. */
export function windowClosesAt(lastInboundAt: Date | null | undefined): Date | null {
  return lastInboundAt ? new Date(lastInboundAt.getTime() + SERVICE_WINDOW_MS) : null;
}

export function isWindowOpen(lastInboundAt: Date | null | undefined, now: Date): boolean {
  const closes = windowClosesAt(lastInboundAt);
  return closes !== null && closes > now;
}

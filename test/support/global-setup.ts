// Integration tests need real PostgreSQL and Redis. Locally they are skipped with one visible line when
// the servers are not configured; under CI=true a missing server is a failure, not a skip.
export default function setup(): void {
  const missing = ['TEST_DATABASE_URL', 'TEST_REDIS_URL'].filter((name) => !process.env[name]);
  if (missing.length === 0) return;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but ${missing.join(' and ')} unset: integration tests cannot run`);
  }
  console.warn(`\n  Integration tests SKIPPED: ${missing.join(' and ')} unset (see README, Testing)\n`);
}

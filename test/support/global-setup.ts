// Integration tests run on real PostgreSQL and Redis. Locally, without them, those that need only a
// database run on PGlite and the rest are skipped, with one visible line; under CI=true a missing server
// is a failure, not a skip.
export default function setup(): void {
  const missing = ['TEST_DATABASE_URL', 'TEST_REDIS_URL'].filter((name) => !process.env[name]);
  if (missing.length === 0) return;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but ${missing.join(' and ')} unset: integration tests cannot run`);
  }
  console.warn(
    `\n  ${missing.join(' and ')} unset: integration tests run on PGlite where they can, the others are SKIPPED (see README, Testing)\n`,
  );
}

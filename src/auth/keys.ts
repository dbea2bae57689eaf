import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { apiKeys, auditLog, type Db } from '../db/index.js';

export type Role = 'admin' | 'agent';

export interface ApiKeyHolder {
  id: number;
  name: string;
  role: Role;
}

/** 256 random bits: a fast hash is enough to store them, and lets a lookup use the unique index. */
export const generateApiKey = (): string => `tgh_${randomBytes(32).toString('base64url')}`;
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export async function createApiKey(
  db: Db,
  input: { name: string; role: Role },
): Promise<(ApiKeyHolder & { key: string }) | 'name-taken'> {
  const key = generateApiKey();
  const rows = await db
    .insert(apiKeys)
    .values({ name: input.name, role: input.role, keyHash: hashApiKey(key) })
    .onConflictDoNothing({ target: apiKeys.name })
    .returning({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role });
  return rows[0] ? { ...rows[0], key } : 'name-taken';
}

export const BOOTSTRAP_ADMIN = 'bootstrap-admin';

/**
 * ADMIN_API_KEY makes an admin key with exactly that value exist; a changed value replaces the old one. A
 * value that was revoked stays revoked (a leaked key must not come back at the next start): answers false
 * then, and a new value is needed.
 */
export async function ensureBootstrapAdmin(db: Db, adminApiKey: string): Promise<boolean> {
  const keyHash = hashApiKey(adminApiKey);
  const [row] = await db
    .insert(apiKeys)
    .values({ name: BOOTSTRAP_ADMIN, role: 'admin', keyHash })
    .onConflictDoUpdate({
      target: apiKeys.name,
      set: {
        keyHash,
        role: 'admin',
        revokedAt: sql`case when ${apiKeys.keyHash} = excluded.key_hash then ${apiKeys.revokedAt} end`,
      },
    })
    .returning({ revokedAt: apiKeys.revokedAt });
  return !row?.revokedAt;
}

/** A key as an admin sees it: never its secret, nor its hash. */
export interface ApiKeyListing extends ApiKeyHolder {
  createdAt: Date;
  revokedAt: Date | null;
}

const listing = {
  id: apiKeys.id,
  name: apiKeys.name,
  role: apiKeys.role,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

export async function listApiKeys(db: Db): Promise<ApiKeyListing[]> {
  return db.select(listing).from(apiKeys).orderBy(asc(apiKeys.id));
}

export type Revocation =
  | { outcome: 'revoked'; key: ApiKeyListing }
  | { outcome: 'already-revoked'; key: ApiKeyListing }
  | { outcome: 'not-found' }
  | { outcome: 'last-admin' };

/**
 * Revokes a key at once: every request checks revoked_at, so the next one with it is refused. Any key may
 * go, the caller's own and ADMIN_API_KEY's included, except the last admin key that works, which would
 * leave nobody to administer the service. The active admin keys are locked first, so two admins revoking
 * each other at once cannot both succeed.
 */
export async function revokeApiKey(db: Db, id: number, by: ApiKeyHolder): Promise<Revocation> {
  return db.transaction(async (tx) => {
    const admins = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
      .orderBy(asc(apiKeys.id))
      .for('update');
    const [key] = await tx.select(listing).from(apiKeys).where(eq(apiKeys.id, id)).for('update');
    if (!key) return { outcome: 'not-found' };
    if (key.revokedAt) return { outcome: 'already-revoked', key };
    if (key.role === 'admin' && admins.length <= 1) return { outcome: 'last-admin' };
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(eq(apiKeys.id, id))
      .returning(listing);
    await tx.insert(auditLog).values({
      actor: `key:${by.name}`,
      action: 'api_key.revoke',
      subject: key.name,
      details: { id: key.id, role: key.role, ...(by.id === key.id ? { own: true } : {}) },
    });
    return { outcome: 'revoked', key: revoked! };
  });
}

export async function findApiKey(db: Db, key: string): Promise<ApiKeyHolder | null> {
  const rows = await db
    .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
}

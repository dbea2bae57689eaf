import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys, type Db } from '../db/index.js';

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

/** ADMIN_API_KEY makes an admin key with exactly that value exist; a changed value replaces the old one. */
export async function ensureBootstrapAdmin(db: Db, adminApiKey: string): Promise<void> {
  const keyHash = hashApiKey(adminApiKey);
  await db
    .insert(apiKeys)
    .values({ name: BOOTSTRAP_ADMIN, role: 'admin', keyHash })
    .onConflictDoUpdate({ target: apiKeys.name, set: { keyHash, role: 'admin', revokedAt: null } });
}

export async function findApiKey(db: Db, key: string): Promise<ApiKeyHolder | null> {
  const rows = await db
    .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { generateApiKey } from './auth/index.js';
import type { Config } from './config.js';

export interface Secrets {
  dataKey: string;
  appSecret: string;
  verifyToken: string;
  /** an admin API key for the demo, used only when ADMIN_API_KEY is unset in embedded mode */
  demoAdminKey?: string;
}

const fileSchema = z.object({
  dataKey: z.string().min(32),
  appSecret: z.string().min(16),
  verifyToken: z.string().min(8),
  demoAdminKey: z.string().min(16),
});

/**
 * Secrets the environment gives win. In embedded mode the rest are generated once into the data folder
 * and kept there: a new DATA_KEY on every start would make every stored birth-date hash useless.
 */
export function resolveSecrets(config: Config): Secrets {
  const fromEnv = {
    dataKey: config.dataKey,
    appSecret: config.whatsapp.appSecret,
    verifyToken: config.whatsapp.verifyToken,
  };
  if (fromEnv.dataKey && fromEnv.appSecret && fromEnv.verifyToken) {
    return { dataKey: fromEnv.dataKey, appSecret: fromEnv.appSecret, verifyToken: fromEnv.verifyToken };
  }
  const file = join(config.dataDir, 'secrets.json');
  let stored: Required<Secrets>;
  if (existsSync(file)) {
    stored = fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } else {
    stored = {
      dataKey: randomBytes(32).toString('base64url'),
      appSecret: randomBytes(24).toString('base64url'),
      verifyToken: randomBytes(12).toString('base64url'),
      demoAdminKey: generateApiKey(),
    };
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return {
    dataKey: fromEnv.dataKey ?? stored.dataKey,
    appSecret: fromEnv.appSecret ?? stored.appSecret,
    verifyToken: fromEnv.verifyToken ?? stored.verifyToken,
    demoAdminKey: stored.demoAdminKey,
  };
}

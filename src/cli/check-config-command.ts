import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config';
import { configAdvice } from '../config/config-advice';
import { ConfigError } from '../errors';
import { createLogger } from '../logger';
import { createEachProvider, readTlsMaterial } from '../server';
import { SqliteStore } from '../store/sqlite/sqlite-store';
import type { Command } from './command';

const VERIFY_TIMEOUT_MS = 10_000;

export const checkConfigCommand: Command = {
  name: 'check-config',
  usage: `check-config FILE [--verify]        validate a configuration file, list every problem, and exit;
                                    --verify also asks each provider that can check itself (log in, bind, fetch
                                    the account) whether it is reachable`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { verify: { type: 'boolean', default: false } } });
    const file = positionals[0] ?? ctx.env.RELAY_CONFIG;
    if (!file) throw new ConfigError(['check-config needs a file: messenger-relay check-config FILE']);
    const loaded = loadConfigFile(file, ctx.env);
    const { config } = loaded;
    readTlsMaterial(loaded);
    // Some problems only show when a provider is built (a script that is not executable, an unreadable CA or
    // service-account file), so build them all, against a throwaway store, and report every one.
    const store = new SqliteStore(':memory:');
    const { providers, problems } = createEachProvider(loaded, createLogger('silent'), store);
    const failed: string[] = [];
    try {
      if (problems.length) throw new ConfigError(problems);
      const count = (o: object) => Object.keys(o).length;
      ctx.say(`${file}: valid (${config.endpoints.length} endpoint(s), ${count(config.routes)} route(s), ${count(config.providers)} provider(s))`);
      for (const advice of configAdvice(config)) ctx.say(`  warning: ${advice}`);
      if (!values.verify) return;
      for (const [name, provider] of providers) {
        if (!provider.verify) {
          ctx.say(`  ${name} (${provider.type}): no reachability check for this type`);
          continue;
        }
        try {
          await Promise.race([
            provider.verify(),
            new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${VERIFY_TIMEOUT_MS} ms`)), VERIFY_TIMEOUT_MS).unref()),
          ]);
          ctx.say(`  ${name} (${provider.type}): reachable`);
        } catch (e) {
          failed.push(name);
          ctx.say(`  ${name} (${provider.type}): FAILED: ${(e as Error)?.message ?? String(e)}`);
        }
      }
    } finally {
      await Promise.allSettled([...providers.values()].map((p) => p.close?.()));
      await store.close();
    }
    if (failed.length) throw new Error(`verification failed for ${failed.join(', ')}`);
  },
};

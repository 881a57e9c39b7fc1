import { loadConfigFile } from '../config/load-config';
import { ConfigError } from '../errors';
import type { Command } from './command';

export const checkConfigCommand: Command = {
  name: 'check-config',
  usage: 'check-config FILE                  validate a configuration file, list every problem, and exit',
  async run(args, ctx) {
    const file = args[0] ?? ctx.env.RELAY_CONFIG;
    if (!file) throw new ConfigError(['check-config needs a file: messenger-relay check-config FILE']);
    const { config } = loadConfigFile(file, ctx.env);
    const count = (o: object) => Object.keys(o).length;
    ctx.say(`${file}: valid (${config.endpoints.length} endpoint(s), ${count(config.routes)} route(s), ${count(config.providers)} provider(s))`);
  },
};

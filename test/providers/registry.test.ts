import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { providerDefinitions } from '../../src/providers/registry';

/** The promise to users: a vendor is one folder, one registry line, and one test file that runs the kit. */
describe('provider registry', () => {
  it('has unique types', () => {
    const types = providerDefinitions.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
  });

  it.each(providerDefinitions.map((d) => d.type))('%s has a test file under test/providers/ that runs the conformance kit', (type) => {
    const file = join(__dirname, type, `${type}-provider.test.ts`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('describeProviderConformance(');
  });

  it.each(providerDefinitions.map((d) => [d.type, d.secretKeys] as const))('%s names only keys of its own schema as secret', (type, keys) => {
    const def = providerDefinitions.find((d) => d.type === type)!;
    // A nested secret is named by its dotted path (auth.basic.password); its first part must be a key of the schema.
    for (const k of keys) expect(Object.keys(def.configSchema.shape)).toContain(k.split('.')[0]);
  });
});

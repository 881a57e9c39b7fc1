import { itShared, type StoreSection } from './store-kit';

/** `store.secret(name)`: made once per database, so every replica derives the same phone digests. */
export const secretsSection: StoreSection = (kit) => {
  describe('secrets', () => {
    it('returns the same bytes for a name on every call, and other bytes for another name', async () => {
      const first = await kit.a.secret('phone-digest-kit');
      expect(first).toBeInstanceOf(Buffer);
      expect(first).toHaveLength(32);
      expect(await kit.a.secret('phone-digest-kit')).toEqual(first);
      expect(await kit.a.secret('another-kit-secret')).not.toEqual(first);
    });

    it('makes a new secret as long as asked, and never changes its length later', async () => {
      const short = await kit.a.secret('sized-kit-secret', 16);
      expect(short).toHaveLength(16);
      expect(await kit.a.secret('sized-kit-secret', 64)).toEqual(short);
    });

    itShared(kit, 'gives two replicas the same secret', async () => {
      const fromA = await kit.a.secret('shared-kit-secret');
      expect(await kit.b.secret('shared-kit-secret')).toEqual(fromA);
    });

    itShared(kit, 'gives two replicas asking for a new secret at the same moment one and the same value', async () => {
      const names = Array.from({ length: 5 }, (_, i) => `race-kit-secret-${i}`);
      for (const name of names) {
        const values = await Promise.all([kit.a.secret(name), kit.b.secret(name), kit.a.secret(name), kit.b.secret(name)]);
        for (const v of values) expect(v).toEqual(values[0]);
      }
    });
  });
};

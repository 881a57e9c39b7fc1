import { sourceKey } from '../../../src/relay/limits/failed-auth';
import { numberPrefix, secondsToUtcMidnight } from '../../../src/relay/limits/number-prefix';

describe('what the limits count by', () => {
  it('a number prefix drops the last digits, never the country code', () => {
    expect(numberPrefix('+13035551212', 3)).toBe('+13035551');
    expect(numberPrefix('+4915123456789', 4)).toBe('+491512345');
    expect(numberPrefix('+4412', 6)).toBe('+44');
  });

  it('a source is an IPv4 address, or an IPv6 /64 (one host owns a whole /64)', () => {
    expect(sourceKey('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe(sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(sourceKey('2001:db8:1:2::1')).not.toBe(sourceKey('2001:db8:1:3::1'));
    expect(sourceKey(undefined)).toBe('unknown');
  });

  it('a daily budget restarts at UTC midnight', () => {
    expect(secondsToUtcMidnight(Date.UTC(2026, 10, 24, 23, 59, 30))).toBe(30);
    expect(secondsToUtcMidnight(Date.UTC(2026, 10, 24, 0, 0, 0))).toBe(86_400);
  });
});

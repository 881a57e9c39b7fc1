import { secretValues } from '../../src/providers/secret-values';

describe('secretValues', () => {
  const entry = {
    url: 'https://relay.example/sms',
    token: 'top-level-token',
    auth: { basic: { username: 'relay', password: 'pw-0123456789' }, headers: { 'X-Relay-Key': 'key-0123456789', 'X-Other': 'other-0123' } },
    list: ['a-secret', { deep: 'b-secret' }],
  };

  it('reads top-level keys, dotted paths, and every string under an object or list', () => {
    expect(secretValues(['token', 'auth.basic.password', 'auth.headers', 'list'], entry)).toEqual([
      'top-level-token',
      'pw-0123456789',
      'key-0123456789',
      'other-0123',
      'a-secret',
      'b-secret',
    ]);
  });

  it('leaves out what the paths do not name (the username, header names, the url) and paths that are absent', () => {
    const got = secretValues(['auth.basic.password', 'auth.headers', 'missing', 'auth.basic.password.deeper', 'url.length'], entry);
    expect(got).toEqual(['pw-0123456789', 'key-0123456789', 'other-0123']);
    expect(got).not.toContain('relay');
    expect(got).not.toContain('X-Relay-Key');
  });

  it('takes a secret YAML read as a number (a gateway password of digits) as its digits', () => {
    expect(secretValues(['parameters'], { parameters: { user: 'acct', pass: 12345678 } })).toEqual(['acct', '12345678']);
  });
});

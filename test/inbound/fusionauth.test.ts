import { AppError } from '../../src/errors';
import { parseFusionAuthBody } from '../../src/inbound/fusionauth';

const opts = { defaultRegion: 'US' };

function refusal(body: unknown): AppError {
  try {
    parseFusionAuthBody(body, opts);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('FusionAuth bodies', () => {
  it('reads the 1.26 SMS body (no code field) and extracts the code from the text', () => {
    const m = parseFusionAuthBody({ phoneNumber: '3035551212', textMessage: 'Two Factor Code: 111111', type: 'SMS' }, opts);
    expect(m).toEqual({ channel: 'sms', to: '+13035551212', text: 'Two Factor Code: 111111', code: '111111', userId: undefined, locale: undefined, test: false });
  });

  it('reads the 1.69 SMS body with code and userId', () => {
    const m = parseFusionAuthBody(
      { code: '123456', phoneNumber: '(303) 555-1212', textMessage: 'Your code 123456', type: 'SMS', userId: '00000000-0000-0000-0000-000000000042' },
      opts,
    );
    expect(m.code).toBe('123456');
    expect(m.userId).toBe('00000000-0000-0000-0000-000000000042');
    expect(m.to).toBe('+13035551212');
  });

  it('reads a Voice body from `message`, with its locale', () => {
    const m = parseFusionAuthBody({ code: '987654', locale: 'de_DE', message: 'Ihr Code', phoneNumber: '+49 151 23456789', type: 'Voice' }, opts);
    expect(m).toMatchObject({ channel: 'voice', text: 'Ihr Code', code: '987654', locale: 'de_DE', to: '+4915123456789' });
  });

  it('recognises the Test button body (SMS and Voice)', () => {
    const sms = parseFusionAuthBody({ code: '123456', phoneNumber: '(555) 555-5555', textMessage: 'Testing', type: 'SMS', userId: '00000000-0000-0000-0000-000000000001' }, opts);
    const voice = parseFusionAuthBody({ code: '123456', message: 'Testing', phoneNumber: '(555) 555-5555', type: 'Voice' }, opts);
    expect(sms.test).toBe(true);
    expect(voice).toMatchObject({ test: true, channel: 'voice' });
  });

  it('sends a Test body to the configured test number when asked to deliver it', () => {
    const m = parseFusionAuthBody({ phoneNumber: '(555) 555-5555', textMessage: 'Testing', type: 'SMS' }, { ...opts, testPhoneNumber: '+1 303 555 1212' });
    expect(m).toMatchObject({ test: true, to: '+13035551212' });
  });

  it('ignores unknown fields', () => {
    expect(parseFusionAuthBody({ phoneNumber: '3035551212', textMessage: 'x 1234', type: 'SMS', futureField: { a: 1 } }, opts).to).toBe('+13035551212');
  });

  it.each([
    ['an array', [1, 2], '[invalid]body'],
    ['a string', 'hello', '[invalid]body'],
    ['no phone number', { textMessage: 'x', type: 'SMS' }, '[missing]phoneNumber'],
    ['a numeric phone number', { phoneNumber: 3035551212, textMessage: 'x', type: 'SMS' }, '[invalid]phoneNumber'],
    ['a shell-like phone number', { phoneNumber: '+1;rm -rf /', textMessage: 'x', type: 'SMS' }, '[invalid]phoneNumber'],
    ['an impossible phone number', { phoneNumber: '12', textMessage: 'x', type: 'SMS' }, '[invalid]phoneNumber'],
    ['an unknown type', { phoneNumber: '3035551212', textMessage: 'x', type: 'Email' }, '[invalid]body'],
    ['an empty text', { phoneNumber: '3035551212', textMessage: '  ', type: 'SMS' }, '[missing]textMessage'],
    ['a text that is not a string', { phoneNumber: '3035551212', textMessage: 42, type: 'SMS' }, '[invalid]body'],
    ['an over-long text', { phoneNumber: '3035551212', textMessage: 'x'.repeat(1601), type: 'SMS' }, '[invalid]body'],
  ])('refuses %s with a 400', (_name, body, code) => {
    const e = refusal(body);
    expect(e.status).toBe(400);
    expect(e.code).toBe(code);
  });
});

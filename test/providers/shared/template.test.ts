import { fillTemplate, MissingCodeError, unknownTags } from '../../../src/providers/shared/template';

const values = { phone: '13035551212', message: 'Your code is 482913.', code: '482913' };

describe('template tags', () => {
  it('fills {phone}, {otp}, {message} and {code}; {otp} is the whole text, as privacyIDEA defines it', () => {
    expect(fillTemplate('{phone}@sms.example.com', values)).toBe('13035551212@sms.example.com');
    expect(fillTemplate('{otp}', values)).toBe('Your code is 482913.');
    expect(fillTemplate('{message}', values)).toBe('Your code is 482913.');
    expect(fillTemplate('code {code} for {phone}', values)).toBe('code 482913 for 13035551212');
  });

  it('replaces every occurrence', () => {
    expect(fillTemplate('{phone},{phone}', values)).toBe('13035551212,13035551212');
  });

  it('leaves other braces alone, so a JSON body keeps its shape', () => {
    expect(fillTemplate('[{"phone": "{phone}", "message": "{otp}"}]', values)).toBe(
      '[{"phone": "13035551212", "message": "Your code is 482913."}]',
    );
    expect(fillTemplate('{{phone}} {unknown}', values)).toBe('{13035551212} {unknown}');
  });

  it('never expands a tag that arrives inside a value', () => {
    expect(fillTemplate('{otp} / {phone}', { ...values, message: 'send {phone} {code}' })).toBe('send {phone} {code} / 13035551212');
  });

  it('refuses to fill {code} when the message has none, rather than send a text without it', () => {
    expect(() => fillTemplate('[{code}]', { phone: '1', message: 'hi' })).toThrow(MissingCodeError);
    expect(fillTemplate('{otp}', { phone: '1', message: 'hi' })).toBe('hi');
  });

  it('passes each value, not the template, through the escape function', () => {
    expect(fillTemplate('to={phone}&text={otp}', { ...values, message: 'a&b c' }, encodeURIComponent)).toBe('to=13035551212&text=a%26b%20c');
  });

  it('names unknown tags so a typo can be refused at start', () => {
    expect(unknownTags('{phon}@x {otp} {"json": 1} {code}')).toEqual(['phon']);
  });
});

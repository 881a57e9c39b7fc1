import { compilePhoneRewrite, phoneRewriteSchema } from '../../../src/providers/shared/phone-rewrite';

const rewrite = (spec: string, phone: string) => compilePhoneRewrite(spec)(phone);

/** Expected values were produced by privacyIDEA's own code path (`re.match("^/(.*)/(.*)/$")` + `re.sub`) in Python 3.11. */
describe('phone rewrite (privacyIDEA REGEXP)', () => {
  it.each([
    ['/[+-/. ]//', '+49 123/456-78', '4912345678'],
    ['/\\+/00/', '+49 123/456-78', '0049 123/456-78'],
    ['/[\\+/]//', '+49 123/456-78', '49 123456-78'],
    ['/^([0-9]+).*/\\1/', '12345abcdef', '12345'],
    ['/^0/0049/', '0123456789', '0049123456789'],
    ['/^\\+49/0/', '+4915123456789', '015123456789'],
  ])('%s on %s gives %s (privacyIDEA test cases and documentation)', (spec, phone, expected) => {
    expect(rewrite(spec, phone)).toBe(expected);
  });

  it('replaces every match, not only the first', () => {
    expect(rewrite('/1/x/', '+1213141')).toBe('+x2x3x4x');
  });

  it('keeps $ literal in the replacement, as Python does', () => {
    expect(rewrite('/1/$0/', '121')).toBe('$02$0');
    expect(rewrite('/1/$&$$/', '1')).toBe('$&$$');
  });

  it('reads \\N, \\g<N>, \\g<0> and named groups the Python way', () => {
    expect(rewrite('/^\\+(?P<cc>1)(\\d{3})/00\\g<cc>-\\2-/', '+13035551212')).toBe('001-303-5551212');
    expect(rewrite('/^\\+(\\d)/\\g<1>\\g<0>/', '+13035551212')).toBe('1+13035551212');
    expect(rewrite('/(?P<a>\\d)(?P=a)/x/', '+1133')).toBe('+xx');
  });

  it('keeps a backslash before a non-letter in the replacement, as Python does', () => {
    expect(rewrite('/^\\+/\\+/', '+1')).toBe('\\+1');
    expect(rewrite('/^\\+/\\\\/', '+1')).toBe('\\1');
  });

  it('splits at the last-but-one slash, so a slash may be in the pattern', () => {
    expect(rewrite('/[/ ]//', '030/1234 56')).toBe('030123456');
  });

  it('an unset or empty option leaves the number alone', () => {
    expect(compilePhoneRewrite(undefined)('+13035551212')).toBe('+13035551212');
    expect(compilePhoneRewrite('')('+13035551212')).toBe('+13035551212');
  });

  it('a replaced value cannot be re-read as replacement syntax', () => {
    expect(rewrite('/(\\d+)/<\\1>/', '+12')).toBe('+<12>');
  });

  // privacyIDEA logs a warning and sends the number unchanged; the relay refuses to start instead.
  it.each([
    ['/\\./\\//', /does not compile/],
    ['/+/00/', /does not compile: Nothing to repeat/],
    ['^\\+//', /must have the form \/PATTERN\/REPLACEMENT\//],
    ['/(\\d)/\\d/', /bad escape \\d/],
    ['/^\\+(\\d)/\\12/', /group 12/],
    ['/^\\+/\\g<cc>/', /unknown group name "cc"/],
  ])('refuses %s at configuration time with a reason', (spec, reason) => {
    expect(() => compilePhoneRewrite(spec)).toThrow(reason);
    const parsed = phoneRewriteSchema.safeParse(spec);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0].message).toMatch(reason);
    expect(parsed.error!.issues[0].message).toContain(JSON.stringify(spec));
  });

  it("reads Python's \\A as the start of the number, as privacyIDEA's re.sub does", () => {
    expect(rewrite('/\\A\\+//', '+4915123456789')).toBe('4915123456789');
  });

  it('the schema accepts a valid rewrite unchanged', () => {
    expect(phoneRewriteSchema.parse('/^\\+//')).toBe('/^\\+//');
  });
});

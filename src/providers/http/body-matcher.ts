/**
 * `returnSuccess` / `returnFail`: a plain substring, as in privacyIDEA, or `/regex/flags`. The regular
 * expression form exists for answers where a substring is a trap: Clickatell's legacy API answers `ID: …` on
 * success, and privacyIDEA's documented `RETURN_SUCCESS: ID` also matches `ERR: 108, Invalid or missing API ID`;
 * `/^ID:/` does not.
 */
export interface BodyMatcher {
  readonly source: string;
  /** `undefined` when the body does not match; otherwise the first capture group, if the regex has one. */
  match(body: string): { captured?: string } | undefined;
}

export class MatcherSyntaxError extends Error {}

const REGEX_FORM = /^\/(.+)\/([a-z]*)$/s;

export function parseBodyMatcher(spec: string): BodyMatcher {
  const m = REGEX_FORM.exec(spec);
  if (!m) {
    return { source: spec, match: (body) => (body.includes(spec) ? {} : undefined) };
  }
  const [, pattern, flags] = m;
  // `g` and `y` make RegExp.exec stateful between calls; every answer must be judged on its own.
  const bad = [...flags].filter((f) => !'imsuv'.includes(f));
  if (bad.length) throw new MatcherSyntaxError(`regular expression flag "${bad.join('')}" is not allowed (use i, m, s, u or v)`);
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (e) {
    throw new MatcherSyntaxError(`"${spec}" looks like /regex/flags but does not compile: ${(e as Error).message}`);
  }
  return {
    source: spec,
    match: (body) => {
      const r = re.exec(body);
      return r ? { captured: r[1] } : undefined;
    },
  };
}

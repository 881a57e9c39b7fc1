import { z } from 'zod';

/**
 * privacyIDEA's `REGEXP` option (`ISMSProvider._mangle_phone`): `/PATTERN/REPLACEMENT/` rewrites the number
 * before a provider uses it, e.g. `/^\+//` drops the plus. Both parts are greedy in privacyIDEA's parser, so the
 * split is at the last-but-one `/`: a `/` may appear in PATTERN but not in REPLACEMENT. Every match is replaced.
 *
 * privacyIDEA logs a warning and leaves the number unchanged when the option is malformed; here a malformed
 * option is refused when the configuration is loaded, because a gateway that silently receives the wrong number
 * format fails every message without anyone noticing.
 *
 * The pattern is Python `re` syntax and runs as a JavaScript RegExp: the two agree on what phone rewrites use
 * (classes, anchors, groups, quantifiers, `\d \s \w \b`). Escapes they read differently (`\A`, `\Z`, `\p`, …)
 * are refused rather than guessed; `(?P<name>…)` and `(?P=name)` are translated.
 */
export type PhoneRewrite = (phone: string) => string;

/** Escapes of ASCII letters that mean the same thing to Python's `re` and to a JavaScript RegExp without the `u` flag. */
const SHARED_LETTER_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'n', 'r', 't', 'f', 'v', 'x', 'u']);

type Part = string | { group: number | string };

export class PhoneRewriteError extends Error {}

function translatePattern(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new PhoneRewriteError('the pattern ends with a lone backslash');
      if (/[A-Za-z]/.test(next) && !SHARED_LETTER_ESCAPES.has(next)) {
        throw new PhoneRewriteError(`the pattern uses \\${next}, which Python and JavaScript read differently; write it another way`);
      }
      out += c + next;
      i++;
    } else if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (pattern.startsWith('(?P=', i)) {
      const end = pattern.indexOf(')', i);
      if (end < 0) throw new PhoneRewriteError('the pattern has an unterminated (?P=name)');
      out += `\\k<${pattern.slice(i + 4, end)}>`;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

/** Python replacement syntax (`\1`, `\g<1>`, `\g<name>`, `\\`); `$` is an ordinary character, as in Python. */
function parseReplacement(replacement: string, groupCount: number, groupNames: ReadonlySet<string>): Part[] {
  const parts: Part[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  const ref = (group: number | string) => {
    const known = typeof group === 'number' ? group <= groupCount : groupNames.has(group);
    if (!known) throw new PhoneRewriteError(`the replacement refers to group ${group}, which the pattern does not have`);
    flush();
    parts.push({ group });
  };
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c !== '\\') {
      literal += c;
      continue;
    }
    const next = replacement[i + 1];
    if (next === undefined) throw new PhoneRewriteError('the replacement ends with a lone backslash');
    if (next === 'g') {
      const m = /^<([^>]*)>/.exec(replacement.slice(i + 2));
      if (!m) throw new PhoneRewriteError('\\g in the replacement must be written \\g<number> or \\g<name>');
      ref(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
      i += 2 + m[0].length - 1;
    } else if (/[0-9]/.test(next)) {
      const digits = /^[0-9]{1,3}/.exec(replacement.slice(i + 1))![0];
      // Python reads \0 and three octal digits as a character code, not a group; no phone rewrite needs that.
      if (next === '0' || /^[0-7]{3}$/.test(digits)) throw new PhoneRewriteError('octal escapes are not supported in the replacement');
      const group = digits.slice(0, 2);
      ref(Number(group));
      i += group.length;
    } else if (next === '\\') {
      literal += '\\';
      i++;
    } else if (/[A-Za-z]/.test(next)) {
      // Python turns \n, \t… into control characters and refuses other letters; a phone number needs neither.
      throw new PhoneRewriteError(`the replacement uses \\${next}; only \\1 … \\99, \\g<…> and \\\\ are supported`);
    } else {
      // Python keeps an unknown escape of a non-letter as it is: backslash and character.
      literal += `\\${next}`;
      i++;
    }
  }
  flush();
  return parts;
}

/** Parses `/PATTERN/REPLACEMENT/` once; throws a `PhoneRewriteError` that says what is wrong. An empty option rewrites nothing. */
export function compilePhoneRewrite(spec: string | undefined): PhoneRewrite {
  if (!spec) return (phone) => phone;
  const m = /^\/(.*)\/(.*)\/$/.exec(spec);
  if (!m) throw new PhoneRewriteError('must look like /PATTERN/REPLACEMENT/, e.g. /^\\+// to drop the plus');
  const [, pattern, replacement] = m;
  let re: RegExp;
  try {
    re = new RegExp(translatePattern(pattern), 'g');
  } catch (e) {
    if (e instanceof PhoneRewriteError) throw e;
    throw new PhoneRewriteError(`the pattern is not a valid regular expression (${(e as Error).message})`);
  }
  // An alternative that matches the empty string reveals how many groups the pattern has.
  const probe = new RegExp(`${re.source}|`).exec('')!;
  const groupCount = probe.length - 1;
  const groupNames = new Set(Object.keys(probe.groups ?? {}));
  const parts = parseReplacement(replacement, groupCount, groupNames);
  return (phone) =>
    phone.replace(re, (...args: unknown[]) => {
      const groups = args.slice(1, 1 + groupCount) as (string | undefined)[];
      const named = (groupNames.size ? args[args.length - 1] : {}) as Record<string, string | undefined>;
      return parts
        .map((p) => {
          if (typeof p === 'string') return p;
          if (p.group === 0) return args[0] as string;
          return (typeof p.group === 'number' ? groups[p.group - 1] : named[p.group]) ?? '';
        })
        .join('');
    });
}

/** The `regexp` key of a provider schema: refused at start with the reason when it cannot be compiled. */
export const phoneRewriteSchema = z.string().superRefine((spec, ctx) => {
  try {
    compilePhoneRewrite(spec);
  } catch (e) {
    if (!(e instanceof PhoneRewriteError)) throw e;
    ctx.addIssue({ code: 'custom', message: `${e.message} (got ${JSON.stringify(spec)})` });
  }
});

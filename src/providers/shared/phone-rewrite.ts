import { z } from 'zod';

/**
 * privacyIDEA's `REGEXP` phone rewrite, `/PATTERN/REPLACEMENT/`, run the way Python's `re.sub` runs it:
 * every match replaced, Python replacement syntax (`\1`, `\g<1>`, `\g<name>`, `\n`), `$` literal.
 *
 * One deliberate difference: privacyIDEA logs a warning and leaves the number unchanged when the rule is not of
 * that form or does not compile, so a typo silently sends unrewritten numbers. Here `parsePhoneRewrite` throws,
 * and the configuration schema turns that into a start-up error naming the key.
 */

export class RewriteSyntaxError extends Error {}

export interface PhoneRewrite {
  readonly source: string;
  apply(phone: string): string;
}

/** A literal run of text, or a capture group by number or name. */
type Part = string | { group: number | string };

// Python's `re.match("^/(.*)/(.*)/$", regexp)`: both groups greedy, so the split is at the last-but-one `/`
// (a `/` may appear in the pattern, never in the replacement), and `.` stops at newlines as in Python.
const RULE = /^\/(.*)\/(.*)\/$/;

export function parsePhoneRewrite(rule: string): PhoneRewrite {
  const m = RULE.exec(rule);
  if (!m) throw new RewriteSyntaxError('must have the form /PATTERN/REPLACEMENT/ (privacyIDEA syntax), e.g. "/^\\+//"');
  const { source, flags } = translatePattern(m[1]);
  let re: RegExp;
  try {
    re = new RegExp(source, `g${flags}`);
  } catch (e) {
    throw new RewriteSyntaxError(`pattern "${m[1]}" does not compile: ${(e as Error).message.replace(`Invalid regular expression: /${source}/g${flags}: `, '')}`);
  }
  const groupCount = new RegExp(`${source}|`, flags).exec('')!.length - 1;
  const names = new Set([...source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((g) => g[1]));
  const parts = parseReplacement(m[2], groupCount, names);
  return {
    source: rule,
    apply: (phone) =>
      phone.replace(re, (...args: unknown[]) => {
        const named = typeof args[args.length - 1] === 'object' ? (args[args.length - 1] as Record<string, string | undefined>) : undefined;
        return parts
          .map((p) => {
            if (typeof p === 'string') return p;
            // Python 3.5+ substitutes an unmatched group with the empty string.
            const v = typeof p.group === 'number' ? args[p.group] : named?.[p.group];
            return typeof v === 'string' ? v : '';
          })
          .join('');
      }),
  };
}

/**
 * Python's pattern syntax is close to JavaScript's for what phone rules use; translate the few spellings that
 * differ (named groups, `\A`/`\Z`, leading inline flags) and let RegExp refuse the rest with its own message.
 */
function translatePattern(pattern: string): { source: string; flags: string } {
  let flags = '';
  let rest = pattern;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (inline) {
    for (const f of inline[1]) {
      if (!'ims'.includes(f)) throw new RewriteSyntaxError(`inline flag (?${f}) is not supported; use i, m or s`);
      if (!flags.includes(f)) flags += f;
    }
    rest = rest.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\') {
      const next = rest[i + 1];
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'Z') out += '$';
      else out += c + (next ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in Python but closes an empty class in JavaScript.
      if (rest[i + 1] === '^') out += rest[++i];
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (rest.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (rest.startsWith('(?P=', i)) {
      const end = rest.indexOf(')', i);
      if (end < 0) throw new RewriteSyntaxError(`pattern "${pattern}": unterminated (?P=name)`);
      out += `\\k<${rest.slice(i + 4, end)}>`;
      i = end;
    } else {
      out += c;
    }
  }
  return { source: out, flags };
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';

/** Python's `re._parser.parse_template`, including its errors, so a rule that fails there fails here too. */
function parseReplacement(repl: string, groupCount: number, names: ReadonlySet<string>): Part[] {
  const parts: Part[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  const group = (ref: number | string) => {
    if (typeof ref === 'number' && ref > groupCount) throw new RewriteSyntaxError(`replacement refers to group ${ref}, the pattern has ${groupCount}`);
    if (typeof ref === 'string' && !names.has(ref)) throw new RewriteSyntaxError(`replacement refers to unknown group name "${ref}"`);
    flush();
    parts.push({ group: ref });
  };
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c !== '\\') {
      literal += c;
      continue;
    }
    const e = repl[++i];
    if (e === undefined) throw new RewriteSyntaxError('replacement ends with a lone backslash');
    if (e === 'g') {
      const close = repl.indexOf('>', i);
      if (repl[i + 1] !== '<' || close < 0) throw new RewriteSyntaxError('replacement has \\g without <group>');
      const ref = repl.slice(i + 2, close);
      if (/^\d+$/.test(ref)) group(Number(ref));
      else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) group(ref);
      else throw new RewriteSyntaxError(`replacement has a bad group name "${ref}"`);
      i = close;
    } else if (e === '0') {
      let digits = '';
      while (digits.length < 2 && isOctal(repl[i + 1])) digits += repl[++i];
      literal += String.fromCharCode(parseInt(digits || '0', 8) & 0xff);
    } else if (isDigit(e)) {
      let ref = e;
      if (isDigit(repl[i + 1])) {
        ref += repl[++i];
        if (isOctal(ref[0]) && isOctal(ref[1]) && isOctal(repl[i + 1])) {
          const code = parseInt(ref + repl[++i], 8);
          if (code > 0o377) throw new RewriteSyntaxError(`replacement has an octal escape above \\377`);
          literal += String.fromCharCode(code);
          continue;
        }
      }
      group(Number(ref));
    } else if (ESCAPES[e] !== undefined) {
      literal += ESCAPES[e];
    } else if (/[A-Za-z]/.test(e)) {
      throw new RewriteSyntaxError(`replacement has the bad escape \\${e}`);
    } else {
      // Python keeps unknown non-letter escapes as written, backslash included.
      literal += `\\${e}`;
    }
  }
  flush();
  return parts;
}

/** A rule as a function; an absent rule rewrites nothing. */
export type PhoneRewriteFn = (phone: string) => string;

export function compilePhoneRewrite(rule: string | undefined): PhoneRewriteFn {
  if (!rule) return (phone) => phone;
  const rewrite = parsePhoneRewrite(rule);
  return (phone) => rewrite.apply(phone);
}

/** The `regexp` key of a provider schema: a rule that does not parse stops the start, with the reason. */
export const phoneRewriteSchema = z.string().superRefine((rule, ctx) => {
  try {
    parsePhoneRewrite(rule);
  } catch (e) {
    if (!(e instanceof RewriteSyntaxError)) throw e;
    ctx.addIssue({ code: 'custom', message: `${e.message} (got ${JSON.stringify(rule)})` });
  }
});

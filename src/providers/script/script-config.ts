import { z } from 'zod';
import { compilePhoneRewrite, phoneRewriteSchema } from '../shared/phone-rewrite';

/**
 * A file name inside `directory`, nothing more: no separator, no `..`, no hidden file, nothing that reads as an
 * option. privacyIDEA joins `directory + "/" + script` unchecked; here the configuration cannot point outside.
 */
const scriptName = z
  .string()
  .min(1)
  .max(255)
  .superRefine((name, ctx) => {
    const problem = /[/\\]/.test(name)
      ? 'must be a file name inside directory, without / or \\'
      : name.startsWith('.')
        ? 'must not start with a dot (no .., no hidden files)'
        : name.startsWith('-')
          ? 'must not start with - (it would read as an option)'
          : /\p{Cc}/u.test(name)
            ? 'must not contain control characters'
            : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** privacyIDEA's `background` option takes `background` or `wait`; booleans read better in YAML. Both are accepted. */
const background = z
  .union([z.boolean(), z.enum(['background', 'wait'])])
  .default(false)
  .transform((v) => v === true || v === 'background');

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** Numbers as the relay hands them to providers: the rewrite must not turn them into an option. */
const SAMPLE_NUMBERS = ['+13035551212', '+4915123456789'];

export const scriptConfigSchema = z
  .object({
    /** Where the script lives; relative paths are read from the configuration file's directory. */
    directory: z.string().min(1).refine((d) => !d.includes('\0'), 'must not contain NUL'),
    script: scriptName,
    /** Answer as soon as the script has started instead of waiting for its exit status. */
    background,
    /** The script is killed (its whole process group) when it runs longer, in the background too. */
    timeoutMs: z.number().int().min(10).max(120_000).default(10_000),
    regexp: phoneRewriteSchema.optional(),
    /** Extra environment for the script (API keys, proxies); it inherits nothing from the relay's own environment. */
    env: z.record(envName, z.string().refine((v) => !v.includes('\0'), 'must not contain NUL')).default({}),
  })
  .superRefine((c, ctx) => {
    let rewrite: (phone: string) => string;
    try {
      rewrite = compilePhoneRewrite(c.regexp);
    } catch {
      return; // regexp has its own issue
    }
    const bad = SAMPLE_NUMBERS.map(rewrite).find((arg) => arg === '' || arg.startsWith('-'));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['regexp'], message: `turns a number into ${JSON.stringify(bad)}, which the script would read as an option or nothing` });
    }
  });

export type ScriptConfig = z.infer<typeof scriptConfigSchema>;

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCodes } from '../src/errors';

/**
 * The error table is the contract with whoever reads the relay's answers and logs (fastify's errors test, the same
 * idea): each code is unique, and docs/operations.md lists exactly the codes that exist, each with its status and
 * a meaning. A code added without a row, a row for a code that was removed, or a status that drifted fails here.
 */

interface Row {
  status: number;
  code: string;
  meaning: string;
}

function documentedRows(): Row[] {
  const page = readFileSync(join(__dirname, '..', 'docs', 'operations.md'), 'utf8');
  const start = page.indexOf('\n## Answers and error codes\n');
  if (start < 0) throw new Error('docs/operations.md has no "## Answers and error codes" section');
  const next = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, next < 0 ? undefined : next);
  return section
    .split('\n')
    .filter((line) => /^\|\s*\d{3}\s*\|/.test(line))
    .map((line) => {
      const [status, code, meaning] = line.split('|').slice(1, -1).map((cell) => cell.trim());
      return { status: Number(status), code: code.replace(/^`|`$/g, ''), meaning };
    });
}

const entries = Object.entries(errorCodes);

describe('error codes', () => {
  it('every entry has a code of its own', () => {
    const codes = entries.map(([, e]) => e.code);
    const repeated = codes.filter((c, i) => codes.indexOf(c) !== i);
    expect(repeated).toEqual([]);
  });

  it('every entry has an error status and a description a person can act on', () => {
    for (const [name, e] of entries) {
      expect({ name, status: e.status >= 400 && e.status <= 599 }).toEqual({ name, status: true });
      expect({ name, long: e.description.length > 10 }).toEqual({ name, long: true });
    }
  });

  it('docs/operations.md lists each code once, with its status', () => {
    const rows = documentedRows();
    const documented = rows.map((r) => r.code);
    expect(documented.filter((c, i) => documented.indexOf(c) !== i)).toEqual([]);
    const expected = entries.map(([, e]) => ({ code: e.code, status: e.status })).sort((a, b) => a.code.localeCompare(b.code));
    const actual = rows.map((r) => ({ code: r.code, status: r.status })).sort((a, b) => a.code.localeCompare(b.code));
    expect(actual).toEqual(expected);
  });

  it('every documented code has a meaning', () => {
    expect(documentedRows().filter((r) => r.meaning.length <= 10).map((r) => r.code)).toEqual([]);
  });
});

/** `postgres://user:***@host:5432/db`: what may appear in an error or a log line. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable database url)';
  }
}

/** The password a database URL carries, raw and percent-decoded, so both forms are scrubbed. */
export function databaseUrlSecrets(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (!password) return [];
    const decoded = decodeURIComponent(password);
    return decoded === password ? [password] : [password, decoded];
  } catch {
    return [];
  }
}

/**
 * Just enough MIME to read back what the SMTP provider sent (a single text part): unfolded, decoded headers
 * (RFC 2047 encoded words) and the body decoded from base64 or quoted-printable as UTF-8. mailparser is not a
 * dependency and a test peer does not need the rest of MIME.
 */
export interface ParsedMail {
  headers: [name: string, value: string][];
  text: string;
}

function bytesFromQuotedPrintable(qp: string, headerStyle: boolean): Buffer {
  const src = headerStyle ? qp.replace(/_/g, ' ') : qp.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 1, i + 3))) {
      bytes.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(src[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

export function decodeHeaderValue(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset: string, enc: string, data: string) =>
      (enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : bytesFromQuotedPrintable(data, true)).toString('utf8'),
    );
}

export function parseMail(raw: string): ParsedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const headers = head
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter(Boolean)
    .map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim(), decodeHeaderValue(line.slice(colon + 1).trim())];
    });
  const encoding = headers.find(([n]) => n.toLowerCase() === 'content-transfer-encoding')?.[1].toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? bytesFromQuotedPrintable(body, false).toString('utf8')
        : body;
  // The CRLF that ends the last line is part of SMTP's framing, not of what the sender wrote.
  return { headers, text: text.replace(/\r\n$/, '') };
}

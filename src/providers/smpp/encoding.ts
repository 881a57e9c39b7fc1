import { randomInt } from 'node:crypto';

/**
 * Text → submit_sm short_message parts. We encode ourselves instead of handing the package a string: given a
 * string and no data_coding it picks 0x01 (IA5) for GSM-compatible text, and given data_coding 0 it silently turns
 * unsupported characters into spaces. Here the content decides: GSM 03.38 (data_coding 0, one octet per septet,
 * unpacked, as smpplib and most SMSCs expect over SMPP) when every character fits, else UCS-2 big-endian (8).
 */

export const DATA_CODING_GSM = 0x00;
export const DATA_CODING_UCS2 = 0x08;
/** The UDHI bit of esm_class: short_message starts with a user data header. */
export const ESM_CLASS_UDHI = 0x40;
const ESC = 0x1b;

// GSM 03.38 default alphabet, in code order. 0x1B (escape) is not a character of its own.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// The extension table: each is sent as 0x1B followed by this code, and counts two septets.
const EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);
const BASIC_CODES: ReadonlyMap<string, number> = new Map([...BASIC].map((c, i) => [c, i] as const).filter(([, i]) => i !== ESC));

const SINGLE = { gsm: 160, ucs2: 70 } as const;
/** Per part once a UDH of 6 octets takes its room: 153 septets, or 67 UTF-16 code units. */
const PART = { gsm: 153, ucs2: 67 } as const;
const MAX_PARTS = 255;

export class MessageTooLongError extends Error {
  constructor(readonly parts: number) {
    super(`the text needs ${parts} parts; a concatenated SMS holds at most ${MAX_PARTS}`);
  }
}

export interface EncodedMessage {
  dataCoding: typeof DATA_CODING_GSM | typeof DATA_CODING_UCS2;
  /** 0 for a single part, 0x40 (UDHI) when each part starts with the concatenation UDH. */
  esmClass: number;
  /** Each element is one submit_sm short_message, UDH included. */
  parts: Buffer[];
}

/** True when every character is in the GSM default alphabet or its extension table. */
export function isGsm(text: string): boolean {
  for (const c of text) if (!BASIC_CODES.has(c) && !EXTENSION.has(c)) return false;
  return true;
}

/** One GSM character's septets: 1, or 2 for an extension character (escape + code). Never split across parts. */
function gsmChar(c: string): number[] {
  const ext = EXTENSION.get(c);
  return ext === undefined ? [BASIC_CODES.get(c)!] : [ESC, ext];
}

/** Chunks of at most `size` units where `units(c)` counts each indivisible character. */
function chunk(chars: string[], size: number, units: (c: string) => number): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const c of chars) {
    const n = units(c);
    if (used + n > size) {
      out.push(current);
      current = [];
      used = 0;
    }
    current.push(c);
    used += n;
  }
  out.push(current);
  return out;
}

/**
 * Chooses the coding and splits: one part when it fits 160 septets / 70 UCS-2 units, else parts of 153 / 67 with
 * the UDH `05 00 03 ref total seq`. Iterating by code point keeps every surrogate pair and every GSM escape pair
 * inside one part (python-smpplib cuts by octets and has a FIXME for exactly that).
 */
export function encodeMessage(text: string, ref: number = randomInt(256)): EncodedMessage {
  const chars = [...text];
  const gsm = isGsm(text);
  const units = gsm ? (c: string) => gsmChar(c).length : (c: string) => c.length;
  const encode = gsm ? (cs: string[]) => Buffer.from(cs.flatMap(gsmChar)) : (cs: string[]) => Buffer.from(cs.join(''), 'utf16le').swap16();
  const dataCoding = gsm ? DATA_CODING_GSM : DATA_CODING_UCS2;
  const total = chars.reduce((n, c) => n + units(c), 0);

  if (total <= (gsm ? SINGLE.gsm : SINGLE.ucs2)) return { dataCoding, esmClass: 0, parts: [encode(chars)] };

  const chunks = chunk(chars, gsm ? PART.gsm : PART.ucs2, units);
  if (chunks.length > MAX_PARTS) throw new MessageTooLongError(chunks.length);
  const parts = chunks.map((cs, i) => Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, chunks.length, i + 1]), encode(cs)]));
  return { dataCoding, esmClass: ESM_CLASS_UDHI, parts };
}

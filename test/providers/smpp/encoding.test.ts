import fc from 'fast-check';
import { encodings } from 'smpp';
import { encodeMessage, isGsm, MessageTooLongError, type EncodedMessage } from '../../../src/providers/smpp/encoding';

/** The parts as a handset would read them, decoded by the smpp package (an independent GSM 03.38 table). */
function decodeParts(enc: EncodedMessage): { payloads: Buffer[]; texts: string[] } {
  const payloads = enc.parts.map((p) => (enc.esmClass & 0x40 ? p.subarray(6) : p));
  const texts = payloads.map((b) => (enc.dataCoding === 0 ? encodings.ASCII.decode(b) : Buffer.from(b).swap16().toString('utf16le')));
  return { payloads, texts };
}

const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

describe('smpp encoding', () => {
  it('knows the GSM 03.38 alphabet and its extension table, and nothing more', () => {
    expect(isGsm(GSM_BASIC + GSM_EXTENSION)).toBe(true);
    for (const c of ['Ж', '🔐', 'ç', '’', '\u001b', '\t']) expect(isGsm(c)).toBe(false);
  });

  it.each([
    { name: '160 GSM characters', text: 'a'.repeat(160), dataCoding: 0, parts: 1 },
    { name: '161 GSM characters', text: 'a'.repeat(161), dataCoding: 0, parts: 2 },
    { name: '159 characters and a €, which counts two', text: `${'a'.repeat(159)}€`, dataCoding: 0, parts: 2 },
    { name: '70 UCS-2 units', text: 'Ж'.repeat(70), dataCoding: 8, parts: 1 },
    { name: '71 UCS-2 units', text: 'Ж'.repeat(71), dataCoding: 8, parts: 2 },
    { name: '35 emoji (70 units)', text: '🔐'.repeat(35), dataCoding: 8, parts: 1 },
  ])('$name → data_coding $dataCoding, $parts part(s)', ({ text, dataCoding, parts }) => {
    const enc = encodeMessage(text);
    expect(enc.dataCoding).toBe(dataCoding);
    expect(enc.parts).toHaveLength(parts);
    expect(enc.esmClass).toBe(parts > 1 ? 0x40 : 0);
  });

  it('writes the concatenation UDH 05 00 03 ref total seq with one ref for all parts', () => {
    const enc = encodeMessage('x'.repeat(400), 0xa7);
    expect(enc.parts.map((p) => [...p.subarray(0, 6)])).toEqual([
      [5, 0, 3, 0xa7, 3, 1],
      [5, 0, 3, 0xa7, 3, 2],
      [5, 0, 3, 0xa7, 3, 3],
    ]);
  });

  it('accepts 255 parts and refuses 256', () => {
    expect(encodeMessage('x'.repeat(153 * 255)).parts).toHaveLength(255);
    expect(() => encodeMessage('x'.repeat(153 * 255 + 1))).toThrow(MessageTooLongError);
  });

  it('round-trips any text, within the part sizes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        const enc = encodeMessage(text);
        const { payloads, texts } = decodeParts(enc);
        expect(texts.join('')).toBe(text);
        const limit = enc.parts.length === 1 ? (enc.dataCoding === 0 ? 160 : 140) : enc.dataCoding === 0 ? 153 : 134;
        for (const p of payloads) expect(p.length).toBeLessThanOrEqual(limit);
      }),
    );
  });

  it('never ends a GSM part on an escape octet', () => {
    const gsmChar = fc.constantFrom(...GSM_BASIC, ...GSM_EXTENSION, ...GSM_EXTENSION);
    fc.assert(
      fc.property(fc.string({ unit: gsmChar, minLength: 150, maxLength: 700 }), (text) => {
        const enc = encodeMessage(text);
        expect(enc.dataCoding).toBe(0);
        const { payloads, texts } = decodeParts(enc);
        for (const p of payloads) expect(p[p.length - 1]).not.toBe(0x1b);
        expect(texts.join('')).toBe(text);
      }),
    );
  });

  it('never ends a UCS-2 part on a high surrogate', () => {
    const char = fc.constantFrom('Ж', 'ü', '🔐', '👍', '𝄞', ' ');
    fc.assert(
      fc.property(fc.string({ unit: char, minLength: 40, maxLength: 400 }), (text) => {
        const enc = encodeMessage(`Ж${text}`);
        const { payloads } = decodeParts(enc);
        for (const p of payloads) {
          const last = p.readUInt16BE(p.length - 2);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
      }),
    );
  });
});

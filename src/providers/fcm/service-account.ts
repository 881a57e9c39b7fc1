import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The parts of a Google service-account file the relay uses. The private key never leaves this object. */
export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKeyId?: string;
  privateKey: KeyObject;
  /** Honoured, unlike in google-auth-library for Node, which hard-codes oauth2.googleapis.com (reference/push-fcm.md §3.2). */
  tokenUri: string;
}

/** Thrown with a message that names the problem and never quotes the file's content. */
export class ServiceAccountProblem extends Error {}

function str(json: Record<string, unknown>, key: string): string {
  const v = json[key];
  if (typeof v !== 'string' || v.trim() === '') throw new ServiceAccountProblem(`"${key}" is missing or empty`);
  return v;
}

export function parseServiceAccount(text: string): ServiceAccount {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ServiceAccountProblem('is not valid JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ServiceAccountProblem('is not a JSON object');
  const sa = json as Record<string, unknown>;
  if (sa.type !== 'service_account') throw new ServiceAccountProblem(`"type" must be "service_account"`);
  const tokenUri = str(sa, 'token_uri');
  let url: URL;
  try {
    url = new URL(tokenUri);
  } catch {
    throw new ServiceAccountProblem('"token_uri" is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ServiceAccountProblem('"token_uri" must be an http(s) URL');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(str(sa, 'private_key'));
  } catch (e) {
    if (e instanceof ServiceAccountProblem) throw e;
    throw new ServiceAccountProblem('"private_key" is not a PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new ServiceAccountProblem('"private_key" must be an RSA key (the JWT-bearer grant is signed RS256)');
  return {
    projectId: str(sa, 'project_id'),
    clientEmail: str(sa, 'client_email'),
    privateKeyId: typeof sa.private_key_id === 'string' && sa.private_key_id ? sa.private_key_id : undefined,
    privateKey,
    tokenUri,
  };
}

export function loadServiceAccount(file: string): ServiceAccount {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServiceAccountProblem(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseServiceAccount(text);
}

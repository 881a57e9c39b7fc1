import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptNmaData } from '../../../src/push/device/device-client';
import { generateDeviceKeys } from '../../../src/push/device/device-keys';
import { checkPublicJwk } from '../../../src/push/jwk';
import { MockFcm } from '../../../src/push/mock-fcm/mock-fcm-server';
import { maskPhone, phoneDigest } from '../../../src/redact';
import type { Store } from '../../../src/store/store';
import { conformanceMessage, type ConformancePeer, type PeerMode, type ReceivedMessage } from '../provider-conformance';

/**
 * The mock FCM as the conformance kit's peer. A push goes to a device, not to a number, so the peer registers one
 * device for the conformance message's user and number (seed), and reports each push it received as the text the
 * device decrypts, addressed to the number that device was registered with.
 */
export async function startFcmPeer(): Promise<ConformancePeer & { mock: MockFcm }> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-fcm-'));
  const mock = await MockFcm.start();
  const serviceAccountJson = join(dir, 'fcm-sa.json');
  await writeFile(serviceAccountJson, JSON.stringify(mock.serviceAccount()), { mode: 0o600 });
  const keys = generateDeviceKeys('p256');
  const message = conformanceMessage();
  const fcmToken = 'conformance-device-token-0123456789';

  const modes: Record<Exclude<PeerMode, 'accept'>, () => void> = {
    reject: () => mock.program({ error: 'INVALID_ARGUMENT' }),
    fail: () => mock.program({ error: 'INTERNAL' }),
    reset: () => mock.program({ fault: 'reset' }),
    hang: () => mock.program({ fault: 'hang' }),
  };

  return {
    mock,
    config: { serviceAccountJson, endpointBaseUrl: mock.url, redeemUrl: 'http://127.0.0.1:8443/redeem', timeoutMs: 5000 },
    behave(mode) {
      mock.clearErrors();
      if (mode !== 'accept') modes[mode]();
    },
    async seed(store: Store) {
      await store.targets.create({
        name: 'conformance phone',
        userId: message.userId,
        target: fcmToken,
        signatureKey: checkPublicJwk(keys.signature.publicJwk, 'signature', 'signatureKey'),
        encryptionKey: checkPublicJwk(keys.encryption.publicJwk, 'encryption', 'encryptionKey'),
        phoneDigest: phoneDigest(await store.secret('phone-digest'), message.to),
        phoneMasked: maskPhone(message.to),
      });
    },
    async received(): Promise<ReceivedMessage[]> {
      const pushes = mock.messages(fcmToken).filter((m) => !m.validateOnly);
      return Promise.all(
        pushes.map(async (m) => {
          const { plaintext } = await decryptNmaData(keys, (m.message.data as Record<string, string>).nma_data);
          return { to: message.to, text: String(plaintext.text) };
        }),
      );
    },
    async close() {
      await mock.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { OPTED_OUT } from '../store/dispatch-targets';
import { decryptNmaData, latestPush, patchTarget, redeemToken, registerDevice, signUpdate, type Answer } from '../push/device/device-client';
import { generateDeviceKeys, KEY_TYPES, loadDeviceKeys, loadDeviceState, saveDeviceKeys, saveDeviceState, type KeyType } from '../push/device/device-keys';
import type { CliContext, Command } from './command';

const usage = `device keys --type rsa2048|rsa4096|p256|p384|p521|x25519 --out DIR
                                    play a phone: make its key pairs (private JWKs saved 0600, public printed)
  device register --relay URL --keys DIR --target FCM_TOKEN (--user-id ID | --phone +E164) [--username NAME] [--device-id ID] [--dispatcher PROVIDER]
                  [--name NAME] [--admin-token T (or RELAY_ADMIN_TOKEN)] [--cacert FILE]
  device decrypt --keys DIR (NMA_DATA | --mock URL) [--redeem] [--cacert FILE]
  device redeem --url REDEEM_URL --token TOKEN [--cacert FILE]   (a token may start with '-': give it with --token)
  device patch --keys DIR (--target NEW_TOKEN | --opt-out) [--name NAME] [--cacert FILE]`;

function need(value: string | undefined, flag: string): string {
  if (!value) throw new ConfigError([`device: ${flag} is required`]);
  return value;
}

function report(ctx: CliContext, what: string, answer: Answer): void {
  ctx.out(`${JSON.stringify(answer.body ?? {}, null, 2)}\n`);
  if (answer.status >= 300) throw new Error(`${what} answered ${answer.status}`);
}

export const deviceCommand: Command = {
  name: 'device',
  usage,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        type: { type: 'string' },
        out: { type: 'string' },
        keys: { type: 'string' },
        relay: { type: 'string' },
        'admin-token': { type: 'string' },
        target: { type: 'string' },
        'user-id': { type: 'string' },
        username: { type: 'string' },
        'device-id': { type: 'string' },
        dispatcher: { type: 'string' },
        phone: { type: 'string' },
        name: { type: 'string' },
        mock: { type: 'string' },
        redeem: { type: 'boolean', default: false },
        token: { type: 'string' },
        url: { type: 'string' },
        'opt-out': { type: 'boolean', default: false },
        cacert: { type: 'string' },
      },
    });
    const dir = (flag: 'keys' | 'out') => resolve(ctx.cwd, need(values[flag], `--${flag}`));
    const http = { cacert: values.cacert && resolve(ctx.cwd, values.cacert) };

    switch (sub) {
      case 'keys': {
        const type = need(values.type, '--type') as KeyType;
        if (!KEY_TYPES.includes(type)) throw new ConfigError([`device keys: --type must be one of ${KEY_TYPES.join(', ')}`]);
        const keys = generateDeviceKeys(type);
        await saveDeviceKeys(dir('out'), keys);
        ctx.say(`Wrote private keys to ${dir('out')} (mode 0600). Public keys:`);
        ctx.out(`${JSON.stringify({ signatureKey: keys.signature.publicJwk, encryptionKey: keys.encryption.publicJwk }, null, 2)}\n`);
        return;
      }
      case 'register': {
        const keysDir = dir('keys');
        const keys = await loadDeviceKeys(keysDir);
        const relay = need(values.relay, '--relay');
        const fcmToken = need(values.target, '--target');
        const answer = await registerDevice(
          keys,
          {
            relay,
            adminToken: need(values['admin-token'] ?? ctx.env.RELAY_ADMIN_TOKEN, '--admin-token (or RELAY_ADMIN_TOKEN)'),
            name: values.name ?? `phone-${keys.type}`,
            fcmToken,
            userId: values['user-id'],
            username: values.username,
            phoneNumber: values.phone,
            deviceId: values['device-id'],
            dispatcher: values.dispatcher,
          },
          http,
        );
        report(ctx, 'the relay', answer);
        const id = (answer.body as { id: string }).id;
        await saveDeviceState(keysDir, { ...(await loadDeviceState(keysDir)), dispatchTargetId: id, relay, fcmToken });
        ctx.say(`Registered dispatch target ${id}.`);
        return;
      }
      case 'decrypt': {
        const keysDir = dir('keys');
        const keys = await loadDeviceKeys(keysDir);
        let nmaData = positionals[0];
        if (!nmaData) {
          const state = await loadDeviceState(keysDir);
          const push = await latestPush(need(values.mock, 'NMA_DATA or --mock'), need(state.fcmToken, 'a registered FCM token (run device register first)'));
          if (!push) throw new Error('the mock FCM holds no delivered push for this device');
          nmaData = push.data.nma_data;
        }
        const { header, plaintext } = await decryptNmaData(keys, nmaData);
        ctx.out(`${JSON.stringify({ header, plaintext }, null, 2)}\n`);
        if (values.redeem) report(ctx, 'redeem', await redeemToken(plaintext.redeem_url, plaintext.token, http));
        return;
      }
      case 'redeem':
        return report(ctx, 'redeem', await redeemToken(need(values.url, '--url'), need(values.token ?? positionals[0], '--token'), http));
      case 'patch': {
        const keysDir = dir('keys');
        const keys = await loadDeviceKeys(keysDir);
        const state = await loadDeviceState(keysDir);
        const target = values['opt-out'] ? OPTED_OUT : values.target;
        const id = need(state.dispatchTargetId, 'a registered dispatch target (run device register first)');
        const answer = await patchTarget(need(values.relay ?? state.relay, '--relay'), id, await signUpdate(keys, id, { target, name: values.name }), http);
        if (answer.status !== 204) report(ctx, 'the relay', answer);
        if (target && target !== OPTED_OUT) await saveDeviceState(keysDir, { ...state, fcmToken: target });
        ctx.say(`Updated dispatch target ${id}${target === OPTED_OUT ? ' (opted out of push)' : ''}.`);
        return;
      }
      default:
        throw new ConfigError([`device: unknown subcommand "${sub ?? ''}"\nusage: ${usage}`]);
    }
  },
};

import { WebhookReceiver, type ReceivedWebhook } from '@ringtail/webhooks';

/** A receiver that also tracks, per alert key, when that alert's first firing notification arrived. */
export interface FiringReceiver {
  readonly receiver: WebhookReceiver;
  /** Alert key (see `keyOf`) → arrival time in epoch ms of its first firing notification. */
  readonly firstFiringAtMs: ReadonlyMap<string, number>;
  /**
   * Alert key → the `startsAt` of that first firing notification (epoch ms): the
   * clock of the evaluation that fired it, for a rule without `for`.
   */
  readonly firstFiringStartsAtMs: ReadonlyMap<string, number>;
}

/** Starts the project's webhook receiver; `keyOf` names an alert by its labels (undefined: not tracked). */
export async function startFiringReceiver(keyOf: (labels: Readonly<Record<string, string>>) => string | undefined): Promise<FiringReceiver> {
  const firstFiringAtMs = new Map<string, number>();
  const firstFiringStartsAtMs = new Map<string, number>();
  const onReceive = (w: ReceivedWebhook) => {
    if (w.json?.status !== 'firing') return;
    for (const a of w.json.alerts) {
      const key = keyOf(a.labels);
      if (key === undefined || firstFiringAtMs.has(key)) continue;
      firstFiringAtMs.set(key, w.atMs);
      firstFiringStartsAtMs.set(key, Date.parse(a.startsAt));
    }
  };
  return { receiver: await WebhookReceiver.start({ onReceive }), firstFiringAtMs, firstFiringStartsAtMs };
}

import { Redis } from "ioredis";
import { MetarepError } from "../errors.js";

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, "//$1:***@");
}

/**
 * A connection for BullMQ (`maxRetriesPerRequest: null`, as its workers require), after checking
 * within `timeoutMs` that the server answers PING: an unreachable Redis is a clear error in
 * seconds, not a hang. Accepts `redis://[user:password@]host:port[/db]` and `rediss://` (TLS).
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) {
    throw new MetarepError(`"--redis" must be a redis:// or rediss:// URL; got "${redactUrl(url)}".`);
  }
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let socketError: Error | null = null;
  probe.on("error", (e: Error) => {
    socketError ??= e; // the first error says why (ECONNREFUSED, ENOTFOUND, WRONGPASS, …)
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    const why = (socketError ?? (e as Error)).message.replace(/\.+$/, "");
    throw new MetarepError(`cannot reach Redis at ${redactUrl(url)}: ${why}.`);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  conn.on("error", () => {}); // ioredis reconnects; BullMQ surfaces lasting failures
  return conn;
}

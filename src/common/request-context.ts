import { AsyncLocalStorage } from 'node:async_hooks';

/** What the data layer needs to know about the request it serves. */
export interface RequestContext {
  requestId: string;
  /** Who is asking, for read-your-writes: `user:<id>` once authenticated, else undefined. */
  clientId?: string;
  /** Database queries this request ran (see QueryCountingLogger). */
  queries?: number;
  /** Where this request's last read went: replica, primary-fallback or primary-ryw. */
  dbRoute?: string;
  /** Set while loading data a write just changed: replicas may not have it yet. */
  preferPrimary?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(context: RequestContext, fn: () => T): T {
    return storage.run(context, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
  /** Runs `fn` with its reads sent to the primary, without changing the rest of the request. */
  preferPrimary<T>(fn: () => T): T {
    const current = storage.getStore();
    return storage.run({ requestId: '', ...current, preferPrimary: true }, fn);
  },
};

import type { ExecutionContext } from '@nestjs/common';

/**
 * A value computed once per route from its metadata, for guards and interceptors that would otherwise
 * read it through the Reflector on every request. Keyed by handler, then class: a handler inherited by
 * two controllers may carry each one's class-level metadata.
 */
type RouteTargets = [
  ReturnType<ExecutionContext['getHandler']>,
  ReturnType<ExecutionContext['getClass']>,
];

export class RouteMemo<T> {
  private readonly byHandler = new WeakMap<object, WeakMap<object, { value: T }>>();

  /** `compute` gets [handler, class], the targets the Reflector's getAllAndOverride takes. */
  constructor(private readonly compute: (targets: RouteTargets) => T) {}

  get(context: ExecutionContext): T {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let byClass = this.byHandler.get(handler);
    if (!byClass) this.byHandler.set(handler, (byClass = new WeakMap()));
    let entry = byClass.get(classRef);
    if (!entry) byClass.set(classRef, (entry = { value: this.compute([handler, classRef]) }));
    return entry.value;
  }
}

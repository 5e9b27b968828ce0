import type { TensorContainer } from './types.js';

/**
 * `tidy` scopes for a backend that tracks its own tensors (as tfjs does): each tensor made
 * inside a scope is freed when the scope ends, unless the scope returns it (it then belongs to
 * the enclosing scope) or it was kept. An exception leaves the scope's tensors alive.
 */
export class TensorScopes<T extends object> {
  private readonly scopes: Set<T>[] = [];

  /**
   * @param isTensor - whether a value is one of the backend's live tensors
   * @param free - frees a tensor the scope made and does not return
   */
  constructor(
    private readonly isTensor: (value: object) => value is T,
    private readonly free: (t: T) => void,
  ) {}

  /** Whether a `tidy` is running. */
  get active(): boolean {
    return this.scopes.length > 0;
  }

  /** Records a tensor just made (in the innermost scope, if any). */
  add(t: T): void {
    this.scopes.at(-1)?.add(t);
  }

  /** Runs `fn` in a new scope and frees what it made and does not return. */
  tidy<R extends TensorContainer>(fn: () => R): R {
    const scope = new Set<T>();
    this.scopes.push(scope);
    let result: R;
    try {
      result = fn();
    } finally {
      this.scopes.pop();
    }
    const returned = new Set<T>();
    this.collect(result, returned);
    for (const t of scope) if (!returned.has(t)) this.free(t);
    for (const t of returned) if (scope.has(t)) this.add(t);
    return result;
  }

  /** Exempts `t` from every enclosing scope. */
  keep(t: T): void {
    for (const scope of this.scopes) scope.delete(t);
  }

  /** The tensors anywhere inside arrays and plain objects of `value`. */
  private collect(value: TensorContainer, into: Set<T>): void {
    if (Array.isArray(value)) for (const item of value) this.collect(item, into);
    else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      if (this.isTensor(value)) into.add(value);
      else for (const item of Object.values(value)) this.collect(item as TensorContainer, into);
    }
  }
}

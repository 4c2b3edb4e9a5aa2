/**
 * A restricted unpickler for the subset of protocol 2 that torch.save emits for a state dict.
 * Python's pickle runs arbitrary callables; this one only resolves globals on an allow-list
 * and hands every call (REDUCE) and persistent id to the caller, so loading never runs code.
 */

/** An immutable Python tuple. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict (or OrderedDict); keys are limited to hashable primitives. */
export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();
}

/** A reference to `module.name`, already checked against the allow-list. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Base for values the caller's hooks create (storages, tensors). */
export abstract class PickleExtension {
  abstract readonly kind: string;
}

export type PickleKey = string | number | bigint | boolean | null;
export type PickleValue = PickleKey | PickleValue[] | PickleTuple | PickleDict | PickleGlobal | PickleExtension;

export interface UnpickleHooks {
  /** Qualified names (`module.name`) that GLOBAL may reference. */
  readonly allowedGlobals: ReadonlySet<string>;
  /** BINPERSID: turn a persistent id into a value (torch: a storage reference). */
  persistentLoad(pid: PickleValue): PickleValue;
  /** REDUCE: "call" an allowed global with a tuple of arguments, without running code. */
  reduce(callable: PickleGlobal, args: PickleTuple): PickleValue;
}

const MARK_OBJECT = Symbol('mark');
type StackItem = PickleValue | typeof MARK_OBJECT;

/** Unpickle `bytes`; `label` names the source in errors. */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks, label: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let at = 0;

  const fail = (message: string): Error => new Error(`${label}: ${message} (pickle offset ${at})`);
  const need = (n: number): number => {
    if (at + n > bytes.byteLength) throw fail('pickle is truncated');
    const start = at;
    at += n;
    return start;
  };
  const pop = (): PickleValue => {
    const value = stack.pop();
    if (value === undefined || value === MARK_OBJECT) throw fail('pickle stack underflow');
    return value;
  };
  const top = (): PickleValue => {
    const value = stack.at(-1);
    if (value === undefined || value === MARK_OBJECT) throw fail('pickle stack is empty');
    return value;
  };
  const popMark = (): PickleValue[] => {
    const mark = stack.lastIndexOf(MARK_OBJECT);
    if (mark < 0) throw fail('pickle has no MARK');
    const items = stack.splice(mark) as PickleValue[];
    items.shift();
    return items;
  };
  const text = (n: number): string => decoder.decode(bytes.subarray(need(n), at));
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw fail('pickle is truncated');
    const value = new TextDecoder('ascii').decode(bytes.subarray(at, end));
    at = end + 1;
    return value;
  };
  const setItems = (dict: PickleValue, items: readonly PickleValue[]): void => {
    if (!(dict instanceof PickleDict)) throw fail('SETITEM(S) on a non-dict');
    if (items.length % 2 !== 0) throw fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) dict.entries.set(asKey(items[i] ?? null, fail), items[i + 1] ?? null);
  };
  const append = (list: PickleValue, items: readonly PickleValue[]): void => {
    if (!Array.isArray(list)) throw fail('APPEND(S) on a non-list');
    list.push(...items);
  };

  for (;;) {
    const opcode = bytes[need(1)];
    switch (opcode) {
      case 0x80: need(1); break; // PROTO: the version byte changes nothing we support
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK_OBJECT); break; // MARK
      case 0x7d: stack.push(new PickleDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(view.getUint8(need(1))); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x8a: stack.push(readLong(bytes.subarray(need(view.getUint8(need(1))), at))); break; // LONG1
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT is big-endian
      case 0x58: stack.push(text(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(text(view.getUint8(need(1)))); break; // SHORT_BINUNICODE
      case 0x74: stack.push(new PickleTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PickleTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PickleTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PickleTuple([a, b, c])); break; } // TUPLE3
      case 0x73: { const value = pop(); const key = pop(); setItems(top(), [key, value]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const item = pop(); append(top(), [item]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x71: memo.set(view.getUint8(need(1)), top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x68: stack.push(memoGet(memo, view.getUint8(need(1)), fail)); break; // BINGET
      case 0x6a: stack.push(memoGet(memo, view.getUint32(need(4), true), fail)); break; // LONG_BINGET
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        const global = new PickleGlobal(module, name);
        if (!hooks.allowedGlobals.has(global.qualifiedName)) throw new Error(`${label}: refusing to load: pickle references ${global.qualifiedName}`);
        stack.push(global);
        break;
      }
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x52: { // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PickleGlobal) || !(args instanceof PickleTuple)) throw fail('REDUCE needs a global and a tuple');
        stack.push(hooks.reduce(callable, args));
        break;
      }
      case 0x62: { // BUILD: only OrderedDict's `_metadata` state, which carries no tensor data
        pop();
        if (!(top() instanceof PickleDict)) throw fail('BUILD is only supported on dicts');
        break;
      }
      default:
        throw fail(`unsupported pickle opcode 0x${(opcode ?? 0).toString(16).padStart(2, '0')}`);
    }
  }
}

function memoGet(memo: ReadonlyMap<number, PickleValue>, index: number, fail: (message: string) => Error): PickleValue {
  const value = memo.get(index);
  if (value === undefined) throw fail(`pickle memo ${index} is unset`);
  return value;
}

function asKey(value: PickleValue, fail: (message: string) => Error): PickleKey {
  if (value === null || typeof value !== 'object') return value;
  throw fail('dict key is not a primitive');
}

/** LONG1 payload: little-endian two's complement; a number when it is a safe integer. */
function readLong(payload: Uint8Array): number | bigint {
  let value = 0n;
  for (let i = payload.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(payload[i] ?? 0);
  if (payload.length > 0 && ((payload[payload.length - 1] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(payload.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelRegistry, type Cancellable } from '../../../proxy/cancel.js';

function target(): Cancellable & { cancels: number } {
  return {
    cancels: 0,
    cancel() {
      this.cancels++;
    },
  };
}

describe('CancelRegistry', () => {
  it('issues a key that finds its session, until released', () => {
    const registry = new CancelRegistry();
    const session = target();
    const key = registry.issue(session);
    assert.equal(key.secretKey.length, 4);
    assert.ok(Number.isInteger(key.processId) && key.processId >= 1 && key.processId < 0x7fffffff);
    assert.equal(registry.size, 1);
    assert.equal(registry.find(key.processId, Buffer.from(key.secretKey)), session);
    registry.release(key.processId);
    assert.equal(registry.size, 0);
    assert.equal(registry.find(key.processId, key.secretKey), undefined);
  });

  it('a wrong secret, a secret of the wrong length or an unknown process id finds nothing', () => {
    const registry = new CancelRegistry();
    const key = registry.issue(target());
    const wrong = Buffer.from(key.secretKey);
    wrong[0] = (wrong[0] ?? 0) ^ 0xff;
    assert.equal(registry.find(key.processId, wrong), undefined);
    assert.equal(registry.find(key.processId, key.secretKey.subarray(0, 3)), undefined);
    assert.equal(registry.find(key.processId, Buffer.concat([key.secretKey, Buffer.alloc(1)])), undefined);
    assert.equal(registry.find(key.processId, Buffer.alloc(0)), undefined);
    const otherId = key.processId === 1 ? 2 : key.processId - 1;
    assert.equal(registry.find(otherId, key.secretKey), undefined);
  });

  it('keeps sessions apart and issues unique process ids', () => {
    const registry = new CancelRegistry();
    const sessions = Array.from({ length: 2000 }, () => target());
    const keys = sessions.map((session) => registry.issue(session));
    assert.equal(new Set(keys.map((key) => key.processId)).size, keys.length);
    assert.equal(registry.size, keys.length);
    keys.forEach((key, i) => assert.equal(registry.find(key.processId, key.secretKey), sessions[i]));
    for (const key of keys.slice(0, 1000)) registry.release(key.processId);
    assert.equal(registry.size, 1000);
    assert.equal(registry.find(keys[1500]?.processId ?? 0, keys[1500]?.secretKey ?? Buffer.alloc(0)), sessions[1500]);
  });

  it('releasing an unknown id is harmless', () => {
    const registry = new CancelRegistry();
    const key = registry.issue(target());
    registry.release(key.processId + 1);
    assert.equal(registry.size, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backend, Frontend } from '../../../proxy/protocol/codes.js';
import { ResponseTracker } from '../../../proxy/response-tracker.js';

const F = Frontend;
const B = Backend;

function tracker(...sent: number[]): ResponseTracker {
  const t = new ResponseTracker();
  for (const type of sent) t.sent(type);
  return t;
}

/** Feeds backend messages; returns how many requests each completed, as a string of 0/1. */
function feed(t: ResponseTracker, ...received: number[]): string {
  return received.map((type) => (t.received(type) ? '1' : '0')).join('');
}

describe('ResponseTracker', () => {
  it('owes a simple Query until its ReadyForQuery, whatever comes before', () => {
    const t = tracker(F.Query);
    assert.equal(feed(t, B.RowDescription, B.DataRow, B.CommandComplete, B.NoticeResponse, B.ErrorResponse), '00000');
    assert.equal(t.idle, false);
    assert.equal(feed(t, B.ReadyForQuery), '1');
    assert.equal(t.idle, true);
  });

  it('completes each extended-query message by its own answer', () => {
    const t = tracker(F.Parse, F.Bind, F.Describe, F.Execute, F.Close, F.Sync);
    assert.equal(t.pending, 6);
    assert.equal(feed(t, B.ParseComplete, B.BindComplete, B.RowDescription, B.DataRow, B.DataRow, B.CommandComplete), '111001');
    assert.equal(t.pending, 2);
    assert.equal(feed(t, B.CloseComplete, B.ReadyForQuery), '11');
    assert.equal(t.idle, true);
  });

  it('waits for RowDescription or NoData after a statement Describe’s ParameterDescription', () => {
    const t = tracker(F.Describe, F.Describe);
    assert.equal(feed(t, B.ParameterDescription, B.RowDescription, B.ParameterDescription, B.NoData), '0101');
    assert.equal(t.idle, true);
  });

  it('treats EmptyQueryResponse and PortalSuspended as the end of an Execute', () => {
    const t = tracker(F.Execute, F.Execute);
    assert.equal(feed(t, B.EmptyQueryResponse, B.DataRow, B.PortalSuspended), '101');
    assert.equal(t.idle, true);
  });

  it('drops the messages PostgreSQL skips after an error, up to the queued Sync', () => {
    const t = tracker(F.Parse, F.Bind, F.Execute, F.Parse, F.Bind, F.Execute, F.Sync, F.Query);
    assert.equal(feed(t, B.ParseComplete, B.BindComplete, B.ErrorResponse), '111');
    assert.equal(t.pending, 2, 'only the Sync and the Query remain');
    assert.equal(t.skippingUntilSync, false, 'the Sync was already relayed');
    assert.equal(feed(t, B.ReadyForQuery, B.ReadyForQuery), '11');
  });

  it('after an error with no Sync yet, relayed messages are not owed until the client’s Sync', () => {
    const t = tracker(F.Parse, F.Bind);
    assert.equal(feed(t, B.ErrorResponse), '1');
    assert.equal(t.idle, true);
    assert.equal(t.skippingUntilSync, true);
    t.sent(F.Execute);
    assert.equal(t.idle, true, 'discarded by the server: no answer will come');
    t.sent(F.Sync);
    assert.equal(t.skippingUntilSync, false);
    assert.equal(feed(t, B.ReadyForQuery), '1');
  });

  it('knows when the proxy’s own statement failed and the server discards until Sync', () => {
    const t = tracker();
    t.upstreamFailed();
    t.sent(F.Bind);
    t.sent(F.Execute);
    assert.equal(t.idle, true);
    t.sent(F.Sync);
    assert.equal(t.pending, 1);
  });

  it('ignores messages that answer nothing (Flush, COPY data) and asynchronous ones', () => {
    const t = tracker(F.Flush, F.CopyData, F.CopyDone, F.Query);
    assert.equal(t.pending, 1);
    assert.equal(feed(t, B.ParameterStatus, B.NotificationResponse, B.CopyInResponse, B.CommandComplete, B.ReadyForQuery), '00001');
  });

  it('holds more requests than its initial ring', () => {
    const t = new ResponseTracker();
    for (let i = 0; i < 500; i++) {
      t.sent(F.Parse);
      t.sent(i % 2 === 0 ? F.Bind : F.Close);
    }
    assert.equal(t.pending, 1000);
    for (let i = 0; i < 500; i++) assert.equal(feed(t, B.ParseComplete, i % 2 === 0 ? B.BindComplete : B.CloseComplete), '11');
    assert.equal(t.idle, true);
  });
});

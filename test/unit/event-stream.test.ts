import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLineDecoder, toContainerEvent, type EventMessage } from '../../src/adapters/docker/event-stream.js';

const HOST = 'unix:///var/run/docker.sock';

/** Messages as Docker Engine 20.10 sent them. */
const die = '{"status":"die","id":"7c0ffb31","from":"doctor-test/busybox:1","Type":"container","Action":"die","Actor":{"ID":"7c0ffb31","Attributes":{"exitCode":"137","image":"doctor-test/busybox:1","name":"oomt","team":"données"}},"scope":"local","time":1795446069,"timeNano":1795446069022879926}';
const unhealthy = '{"status":"health_status: unhealthy","id":"a8ab","from":"app:2","Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"a8ab","Attributes":{"image":"app:2","name":"web"}},"scope":"local","time":1795446306,"timeNano":1795446306063532342}';
const network = '{"Type":"network","Action":"connect","Actor":{"ID":"n1","Attributes":{"container":"7c0ffb31","name":"bridge"}},"time":1795446069,"timeNano":1795446069000000000}';

function decodeInPieces(text: string, cuts: number[]): EventMessage[] {
  const bytes = Buffer.from(text, 'utf8');
  const decoder = new EventLineDecoder();
  const out: EventMessage[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...decoder.push(bytes.subarray(at, cut)));
    at = cut;
  }
  out.push(...decoder.end());
  return out;
}

describe('EventLineDecoder', () => {
  const stream = `${die}\n${unhealthy}\n${network}\n`;
  const length = Buffer.byteLength(stream);

  test('several messages in one chunk', () => {
    assert.deepEqual(decodeInPieces(stream, []).map((m) => m.Action), ['die', 'health_status: unhealthy', 'connect']);
  });

  test('a chunk boundary at every byte (also inside a UTF-8 character) changes nothing', () => {
    const whole = decodeInPieces(stream, []);
    for (let cut = 1; cut < length; cut++) {
      assert.deepEqual(decodeInPieces(stream, [cut]), whole, `cut at ${cut}`);
    }
    assert.equal(whole[0]?.Actor?.Attributes?.['team'], 'données');
  });

  test('one byte at a time', () => {
    const cuts = Array.from({ length: length - 1 }, (_, i) => i + 1);
    assert.equal(decodeInPieces(stream, cuts).length, 3);
  });

  test('a last message without its newline is flushed at the end', () => {
    assert.equal(decodeInPieces(`${die}\n${unhealthy}`, []).length, 2);
  });

  test('blank lines, CRLF and junk lines are skipped, junk is counted', () => {
    const decoder = new EventLineDecoder();
    const out = decoder.push(`\n\r\n${die}\r\nnot json\n{"broken":\n[1,2]\n${unhealthy}\n`);
    assert.deepEqual(out.map((m) => m.Action), ['die', 'health_status: unhealthy']);
    assert.equal(decoder.skipped, 3);
  });

  test('an endless line is dropped without growing, and decoding resumes after it', () => {
    const decoder = new EventLineDecoder();
    const junk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 40; i++) assert.deepEqual(decoder.push(junk), []);
    const out = decoder.push(`${junk}\n${die}\n`);
    assert.deepEqual(out.map((m) => m.Action), ['die']);
    assert.equal(decoder.skipped, 1);
  });
});

describe('toContainerEvent', () => {
  test('die: name, image, exit code, labels and time in ms', () => {
    const event = toContainerEvent(JSON.parse(die) as EventMessage, HOST);
    assert.deepEqual(event, {
      host: HOST,
      id: '7c0ffb31',
      name: 'oomt',
      image: 'doctor-test/busybox:1',
      action: 'die',
      attributes: { exitCode: '137', image: 'doctor-test/busybox:1', name: 'oomt', team: 'données' },
      timeMs: 1795446069022,
    });
  });

  test('health status keeps Docker action text', () => {
    assert.equal(toContainerEvent(JSON.parse(unhealthy) as EventMessage, HOST)?.action, 'health_status: unhealthy');
  });

  test('other object types are not container events', () => {
    assert.equal(toContainerEvent(JSON.parse(network) as EventMessage, HOST), null);
  });

  test('the pre-1.22 format (status, id, from, time) still maps', () => {
    const event = toContainerEvent({ status: 'die', id: 'abc', from: 'nginx:1', time: 1700000000 }, HOST);
    assert.deepEqual(event, { host: HOST, id: 'abc', name: '', image: 'nginx:1', action: 'die', attributes: {}, timeMs: 1700000000000 });
  });

  test('a message without action or id is dropped', () => {
    assert.equal(toContainerEvent({ Type: 'container', Actor: { ID: 'x' } }, HOST), null);
    assert.equal(toContainerEvent({ Type: 'container', Action: 'die' }, HOST), null);
  });
});

/**
 * Rows as PostgreSQL sends them — DataRow messages ('D', Int32 length, Int16 column count, then
 * per column an Int32 byte length, -1 for NULL, and the bytes) — decoded here rather than in the
 * proxy: the proxy only concatenates the bytes it received and hands them over (zero-copy), so
 * turning a large table into strings never blocks its event loop.
 * Protocol reference: PostgreSQL documentation, "Message Formats", DataRow.
 */
const DATA_ROW = 0x44; // 'D'

/** Text-format values, per row; NULL is null. Throws on bytes that are not DataRow messages. */
export function* dataRows(chunks: Iterable<Uint8Array>): Generator<(string | null)[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const chunk of chunks) {
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    while (at < chunk.byteLength) {
      if (chunk[at] !== DATA_ROW || at + 7 > chunk.byteLength) throw new Error(`dataRows: no DataRow message at byte ${at}`);
      const end = at + 1 + view.getInt32(at + 1);
      const columns = view.getInt16(at + 5);
      let field = at + 7;
      const row: (string | null)[] = [];
      for (let c = 0; c < columns; c += 1) {
        const length = view.getInt32(field);
        field += 4;
        if (length < 0) row.push(null);
        else {
          row.push(decoder.decode(chunk.subarray(field, field + length)));
          field += length;
        }
      }
      if (field !== end || end > chunk.byteLength) throw new Error(`dataRows: a DataRow at byte ${at} does not add up`);
      yield row;
      at = end;
    }
  }
}

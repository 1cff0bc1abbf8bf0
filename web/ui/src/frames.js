// Binary frames of the live stream (docs/stream.md, "Binary frames") and the
// binary H3 layer of GET /api/v1/h3?format=binary (docs/api.md). Both are
// columnar and 4-byte aligned, so the columns are typed-array views on the
// received buffer: nothing is copied and no object is made per entity.

export const FRAME_POSITIONS = 1;
export const FRAME_VALUES = 2;
const FRAME_HEADER = 32;
const MAGIC_CTWF = 0x46575443; // "CTWF" read as a little-endian uint32
const MAGIC_CTH3 = 0x33485443; // "CTH3"

// decodeFrame reads one binary frame. For positions, a is east and b is north
// (float32 metres from hello.origin); for values, a holds the values and b is
// null. It throws on a buffer that is not a frame.
export function decodeFrame(buf) {
  if (buf.byteLength < FRAME_HEADER) throw new Error(`frame: ${buf.byteLength} bytes, shorter than the header`);
  const dv = new DataView(buf);
  if (dv.getUint32(0, true) !== MAGIC_CTWF) throw new Error("frame: bad magic");
  if (dv.getUint8(4) !== 1) throw new Error(`frame: version ${dv.getUint8(4)}`);
  const type = dv.getUint8(5);
  const count = dv.getUint32(24, true);
  const cols = type === FRAME_POSITIONS ? 2 : 1;
  if (buf.byteLength < FRAME_HEADER + 4 * count * (1 + cols)) throw new Error(`frame: ${buf.byteLength} bytes for ${count} entities`);
  return {
    type,
    metric: dv.getUint16(6, true),
    seq: Number(dv.getBigUint64(8, true)),
    time: Number(dv.getBigInt64(16, true)),
    count,
    slots: new Uint32Array(buf, FRAME_HEADER, count),
    a: new Float32Array(buf, FRAME_HEADER + 4 * count, count),
    b: type === FRAME_POSITIONS ? new Float32Array(buf, FRAME_HEADER + 8 * count, count) : null,
  };
}

// encodeFrame writes a frame; the page's benchmark feeds such frames to the
// same decode and apply path as the stream's.
export function encodeFrame(type, seq, timeMs, slots, a, b) {
  const n = slots.length;
  const cols = type === FRAME_POSITIONS ? 2 : 1;
  const buf = new ArrayBuffer(FRAME_HEADER + 4 * n * (1 + cols));
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC_CTWF, true);
  dv.setUint8(4, 1);
  dv.setUint8(5, type);
  dv.setUint16(6, type === FRAME_POSITIONS ? 0xffff : 0, true);
  dv.setBigUint64(8, BigInt(seq), true);
  dv.setBigInt64(16, BigInt(timeMs), true);
  dv.setUint32(24, n, true);
  new Uint32Array(buf, FRAME_HEADER, n).set(slots);
  new Float32Array(buf, FRAME_HEADER + 4 * n, n).set(a);
  if (b) new Float32Array(buf, FRAME_HEADER + 8 * n, n).set(b);
  return buf;
}

// decodeH3 reads the binary H3 layer: cells (BigUint64Array), values
// (Float32Array, NaN for none) and counts (Uint32Array).
export function decodeH3(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 16 || dv.getUint32(0, true) !== MAGIC_CTH3) throw new Error("h3 layer: bad magic");
  const n = dv.getUint32(8, true);
  const m = dv.getUint16(12, true);
  const p = 16 + Math.ceil(m / 8) * 8;
  if (buf.byteLength < p + 16 * n) throw new Error(`h3 layer: ${buf.byteLength} bytes for ${n} cells`);
  return {
    res: dv.getUint8(5),
    metric: new TextDecoder().decode(new Uint8Array(buf, 16, m)),
    length: n,
    cells: new BigUint64Array(buf, p, n),
    values: new Float32Array(buf, p + 8 * n, n),
    counts: new Uint32Array(buf, p + 12 * n, n),
  };
}

// zlib inflation with the browser's DecompressionStream('deflate'), giving what
// Python's zlib.decompressobj().decompress(data, MAX_INFLATED) gives in
// src/corridor/amnesty/codec.py:
//
// - more than `max` bytes of output is refused;
// - a stream cut short, or not a valid zlib stream (header, blocks, Adler-32),
//   is refused;
// - bytes after the end of the stream are left aside, as zlib leaves them (in
//   Python's `unused_data`). DecompressionStream refuses them instead ("junk
//   after the end"), so when a whole decode fails the end of the stream is
//   found by feeding the bytes one at a time, and the part up to it is inflated
//   again. That only happens for texts that are not plain certificates.

import { Malformed } from './errors.js';

function drain(reader, max, state) {
  return (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      state.total += value.length;
      if (state.total > max) {
        state.tooLarge = true;
        await reader.cancel().catch(() => {});
        return;
      }
      if (state.chunks) state.chunks.push(value);
    }
  })();
}

async function inflateWhole(bytes, max) {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const state = { total: 0, tooLarge: false, chunks: [] };
  const reading = drain(stream.readable.getReader(), max, state);
  const writing = (async () => {
    await writer.write(bytes);
    await writer.close();
  })();
  const [wrote, read] = await Promise.allSettled([writing, reading]);
  if (state.tooLarge) return { tooLarge: true };
  if (wrote.status !== 'fulfilled' || read.status !== 'fulfilled') return { failed: true };
  const out = new Uint8Array(state.total);
  let offset = 0;
  for (const chunk of state.chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return { output: out };
}

/** Where the zlib stream in `bytes` ends: the index of the first byte it refuses. */
async function streamEnd(bytes, max) {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const state = { total: 0, tooLarge: false, chunks: null };
  const reading = drain(stream.readable.getReader(), max, state).catch(() => {});
  let index = 0;
  try {
    for (; index < bytes.length; index += 1) {
      await writer.write(bytes.subarray(index, index + 1));
      if (state.tooLarge) break;
    }
    if (index === bytes.length) await writer.close();
  } catch (error) {
    // the byte at `index` was refused
  }
  await reading;
  return { index, tooLarge: state.tooLarge };
}

/** The inflated bytes; throws Malformed as the Python reference refuses. */
export async function inflateZlib(bytes, max) {
  const whole = await inflateWhole(bytes, max);
  if (whole.output) return whole.output;
  if (whole.tooLarge) throw new Malformed('zlib: inflates beyond any certificate');
  const end = await streamEnd(bytes, max);
  if (end.tooLarge) throw new Malformed('zlib: inflates beyond any certificate');
  if (end.index > 0 && end.index < bytes.length) {
    const part = await inflateWhole(bytes.subarray(0, end.index), max);
    if (part.output) return part.output;
    if (part.tooLarge) throw new Malformed('zlib: inflates beyond any certificate');
  }
  throw new Malformed('zlib: not a complete deflate stream');
}
